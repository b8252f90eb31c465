import type { OAuthApp, OAuthConnector, SocialChannel, SocialPublisher } from '../../modules/publishing/ports.js';
import { googleBusinessConnector } from './google/connector.js';
import { GoogleBusinessPublisher } from './google/publisher.js';
import { linkedinConnector } from './linkedin/connector.js';
import { LinkedInPublisher } from './linkedin/publisher.js';
import { facebookConnector, instagramConnector } from './meta/connectors.js';
import { FacebookPublisher } from './meta/facebook-publisher.js';
import { InstagramPublisher } from './meta/instagram-publisher.js';
import { xConnector } from './x/connector.js';
import { XPublisher } from './x/publisher.js';

/**
 * One network's real adapter: its OAuth connect flow and, for a given platform app (whose base URLs may point at
 * the test emulator), its publisher. The engine gives it decrypted, fresh credentials in `account.credentials`.
 */
export interface SocialAdapter {
  connector: OAuthConnector;
  publisher(app: OAuthApp): SocialPublisher;
}

/** Every network's real adapter (sandbox accounts publish through the sandbox instead). */
export const socialAdapters: Partial<Record<SocialChannel, SocialAdapter>> = {
  linkedin: { connector: linkedinConnector, publisher: (app) => new LinkedInPublisher(app) },
  x: { connector: xConnector, publisher: (app) => new XPublisher(app) },
  facebook: { connector: facebookConnector, publisher: (app) => new FacebookPublisher(app) },
  instagram: { connector: instagramConnector, publisher: (app) => new InstagramPublisher(app) },
  google_business: { connector: googleBusinessConnector, publisher: (app) => new GoogleBusinessPublisher(app) },
};
