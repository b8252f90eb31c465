import type { Knex } from 'knex';

/**
 * The platform's legal documents (terms, DPA, privacy policy, legal notice) in French and English, version 2026-11.
 *
 * TEMPLATES: short, plausible texts so that the pages, links and acceptance flow work. They are NOT legal advice:
 * each one says so at the top and must be reviewed by a lawyer, and the bracketed placeholders ([…]) completed with
 * the publisher's registered identity, before any real use. A reviewed text is published as a new version (new row),
 * never by editing this one: acceptances point at the version they accepted.
 *
 * Idempotent: keyed by (kind, distributor = platform, locale, version); a re-run refreshes the text of this version.
 */

const VERSION = '2026-11';
const PUBLISHED_AT = new Date('2026-11-01T00:00:00Z');

interface LegalSeed {
  kind: 'terms' | 'dpa' | 'privacy' | 'legal_notice';
  locale: 'fr' | 'en';
  title: string;
  requiresAcceptance: boolean;
  body: string;
}

const NOTICE_FR = 'Modèle à faire relire par un avocat : ce texte est un gabarit, il ne constitue pas un avis juridique et doit être complété et validé avant toute utilisation réelle.';
const NOTICE_EN = 'Template to be reviewed by a lawyer: this text is a draft, not legal advice, and must be completed and approved before any real use.';

export const LEGAL_DOCUMENTS: readonly LegalSeed[] = [
  {
    kind: 'terms',
    locale: 'fr',
    title: 'Conditions générales de service',
    requiresAcceptance: true,
    body: `${NOTICE_FR}

## 1. Objet
Les présentes conditions régissent l'accès au service Cadence, plateforme en ligne d'aide à la communication marketing par intelligence artificielle, fourni par [Raison sociale] aux clients professionnels.

## 2. Abonnement et forfaits
Le service est fourni par abonnement mensuel selon le forfait choisi. Le contenu de chaque forfait (crédits IA, canaux, quotas, utilisateurs) est décrit sur la page « Mon abonnement ». Un changement vers un forfait supérieur prend effet immédiatement et donne lieu à une facturation au prorata ; un changement vers un forfait inférieur prend effet à la fin de la période en cours.

## 3. Prix et paiement
Les prix sont indiqués hors taxes. Les factures sont émises au début de chaque période et payables par carte bancaire ou par virement à l'échéance indiquée. Tout retard entraîne les pénalités prévues par l'article L441-10 du Code de commerce.

## 4. Contenus générés
Le client reste responsable des contenus qu'il publie. Les propositions de l'IA sont soumises à sa validation selon le mode de publication choisi.

## 5. Résiliation
Le client peut résilier à tout moment depuis son espace ; la résiliation prend effet à la fin de la période en cours.

## 6. Droit applicable
Les présentes conditions sont soumises au droit français. Tout litige relève des tribunaux compétents de [ville du siège].`,
  },
  {
    kind: 'terms',
    locale: 'en',
    title: 'Terms of service',
    requiresAcceptance: true,
    body: `${NOTICE_EN}

## 1. Purpose
These terms govern access to Cadence, an online AI-assisted marketing communication platform provided by [Company name] to business customers.

## 2. Subscription and plans
The service is provided as a monthly subscription to the chosen plan. What each plan includes (AI credits, channels, quotas, users) is described on the "My subscription" page. An upgrade takes effect at once and is invoiced pro rata; a downgrade takes effect at the end of the current period.

## 3. Prices and payment
Prices exclude VAT. Invoices are issued at the start of each period and are payable by card or bank transfer by their due date. Late payment incurs the penalties set by article L441-10 of the French Commercial Code.

## 4. Generated content
The customer remains responsible for the content it publishes. AI proposals are subject to its approval according to the chosen publishing mode.

## 5. Termination
The customer may cancel at any time from its account; cancellation takes effect at the end of the current period.

## 6. Governing law
These terms are governed by French law. Any dispute falls within the jurisdiction of the competent courts of [registered office city].`,
  },
  {
    kind: 'dpa',
    locale: 'fr',
    title: 'Accord de traitement des données (article 28 du RGPD)',
    requiresAcceptance: true,
    body: `${NOTICE_FR}

## 1. Rôles
Le client est responsable du traitement des données personnelles qu'il confie au service (contacts, abonnés, avis) ; [Raison sociale] agit en qualité de sous-traitant, uniquement sur instruction documentée du client.

## 2. Sécurité et confidentialité
Le sous-traitant met en œuvre des mesures techniques et organisationnelles appropriées : cloisonnement des données de chaque client, chiffrement des secrets, journalisation, accès limités aux personnes habilitées et tenues à la confidentialité.

## 3. Sous-traitants ultérieurs
La liste des sous-traitants ultérieurs (hébergement, fournisseurs d'IA, envoi d'e-mails et de SMS, paiement) est tenue à disposition du client, qui est informé de tout changement.

## 4. Droits des personnes et violations
Le sous-traitant aide le client à répondre aux demandes d'exercice des droits et lui notifie toute violation de données dans les meilleurs délais.

## 5. Fin du contrat
À la fin du contrat, le client peut exporter ses données ; elles sont ensuite supprimées, à l'exception des factures conservées au titre des obligations légales.`,
  },
  {
    kind: 'dpa',
    locale: 'en',
    title: 'Data processing agreement (GDPR article 28)',
    requiresAcceptance: true,
    body: `${NOTICE_EN}

## 1. Roles
The customer is the controller of the personal data it entrusts to the service (contacts, subscribers, reviews); [Company name] acts as processor, only on the customer's documented instructions.

## 2. Security and confidentiality
The processor implements appropriate technical and organisational measures: each customer's data kept apart, secrets encrypted, logging, access restricted to authorised people bound by confidentiality.

## 3. Sub-processors
The list of sub-processors (hosting, AI providers, e-mail and SMS delivery, payment) is available to the customer, who is informed of any change.

## 4. Data subject rights and breaches
The processor helps the customer answer data subject requests and notifies it of any personal data breach without undue delay.

## 5. End of contract
At the end of the contract the customer may export its data; it is then deleted, except invoices kept to meet legal obligations.`,
  },
  {
    kind: 'privacy',
    locale: 'fr',
    title: 'Politique de confidentialité',
    requiresAcceptance: false,
    body: `${NOTICE_FR}

## Données collectées
Nous traitons les données des utilisateurs du service (nom, e-mail, journal de connexion), les données de facturation du client et les contenus qu'il nous confie.

## Finalités et bases légales
Fourniture du service et facturation (exécution du contrat), sécurité et prévention des abus (intérêt légitime), obligations comptables (obligation légale).

## Durées de conservation
Les données du compte sont conservées pendant la durée du contrat puis supprimées ; les factures sont conservées dix ans.

## Vos droits
Vous disposez d'un droit d'accès, de rectification, d'effacement, de limitation, d'opposition et de portabilité, à exercer auprès de [adresse de contact]. Vous pouvez saisir la CNIL.`,
  },
  {
    kind: 'privacy',
    locale: 'en',
    title: 'Privacy policy',
    requiresAcceptance: false,
    body: `${NOTICE_EN}

## Data we collect
We process the data of the service's users (name, e-mail, sign-in log), the customer's billing details and the content it entrusts to us.

## Purposes and legal bases
Providing and invoicing the service (performance of the contract), security and abuse prevention (legitimate interest), accounting (legal obligation).

## Retention
Account data is kept for the duration of the contract and then deleted; invoices are kept for ten years.

## Your rights
You have the rights of access, rectification, erasure, restriction, objection and portability, to be exercised at [contact address]. You may lodge a complaint with the CNIL.`,
  },
  {
    kind: 'legal_notice',
    locale: 'fr',
    title: 'Mentions légales',
    requiresAcceptance: false,
    body: `${NOTICE_FR}

## Éditeur
[Raison sociale], [forme juridique] au capital de [montant] €, immatriculée au RCS de [ville] sous le numéro [SIREN], siège social : [adresse]. N° de TVA intracommunautaire : [numéro]. Directeur de la publication : [nom].

## Hébergement
[Nom de l'hébergeur], [adresse], [téléphone].

## Contact
[adresse e-mail de contact]`,
  },
  {
    kind: 'legal_notice',
    locale: 'en',
    title: 'Legal notice',
    requiresAcceptance: false,
    body: `${NOTICE_EN}

## Publisher
[Company name], [legal form] with a share capital of €[amount], registered with the [city] Trade and Companies Register under number [SIREN], registered office: [address]. VAT number: [number]. Publication director: [name].

## Hosting
[Host name], [address], [phone].

## Contact
[contact e-mail address]`,
  },
];

export async function seed(knex: Knex): Promise<void> {
  await knex.transaction(async (trx) => {
    for (const doc of LEGAL_DOCUMENTS) {
      await trx.raw(
        `insert into legal_documents (kind, locale, version, title, body, requires_acceptance, published_at)
         values (?, ?, ?, ?, ?, ?, ?)
         on conflict (kind, coalesce(distributor_id, '00000000-0000-0000-0000-000000000000'::uuid), locale, version)
         do update set title = excluded.title, body = excluded.body, requires_acceptance = excluded.requires_acceptance, updated_at = now()`,
        [doc.kind, doc.locale, VERSION, doc.title, doc.body, doc.requiresAcceptance, PUBLISHED_AT],
      );
    }
  });
}
