import type { Knex } from 'knex';
import { PLATFORM_ROLE } from '../src/adapters/db/roles.js';

/**
 * Platform-level prompt layers (the base of the platform → distributor → tenant cascade) and the platform's
 * prompt templates, in French and English. Idempotent: upserts on the (level, owner, locale, key|code, version)
 * unique keys, version 1. A super admin's later edits are new versions and are never overwritten here.
 * In templates, `{{layers.<key path>}}` is filled from the resolved cascade; `variables` lists what the caller gives.
 */

type Locale = 'fr' | 'en';
type Channel = 'linkedin' | 'facebook' | 'instagram' | 'x' | 'google_business' | 'blog' | 'newsletter' | 'sms';

interface LayerSeed {
  key: string;
  description: string;
  value: Record<Locale, unknown>;
}

const CHANNEL_GUIDANCE: Record<Channel, Record<Locale, { guidance: string; format: string }>> = {
  linkedin: {
    fr: {
      guidance:
        "Ton professionnel mais humain, à la première personne de l'entreprise. Ouvre sur une accroche forte dans les deux premières lignes (c'est ce qui s'affiche avant « voir plus ») : un constat, un chiffre, une question concrète. Développe une seule idée, illustrée par un exemple réel ou un cas client anonymisé. Paragraphes d'une à trois phrases, lignes aérées. Termine par une question ouverte ou un appel à l'action clair. Pas de jargon creux ni de superlatifs.",
      format: "1 300 caractères idéalement, 3 000 au maximum. 3 à 5 hashtags pertinents en fin de post. Un seul lien, de préférence en fin de texte. Émojis rares et fonctionnels.",
    },
    en: {
      guidance:
        "Professional yet human tone, in the company's first person. Open with a strong hook in the first two lines (what shows before \"see more\"): a finding, a figure, a concrete question. Develop one idea, illustrated by a real example or an anonymised customer case. Paragraphs of one to three sentences, with white space. End with an open question or a clear call to action. No empty jargon or superlatives.",
      format: "Ideally 1,300 characters, 3,000 at most. 3 to 5 relevant hashtags at the end. One link, preferably at the end. Emojis rare and purposeful.",
    },
  },
  facebook: {
    fr: {
      guidance:
        "Ton chaleureux et proche, comme on parle à ses clients habitués et à son voisinage. Mets en avant la vie de l'entreprise, les nouveautés, les événements, les coulisses. Une phrase d'accroche courte, puis l'information utile (quoi, quand, où, combien). Invite à réagir, à partager ou à passer en boutique.",
      format: "40 à 250 caractères pour la meilleure portée, 600 au maximum conseillé. 0 à 2 hashtags. Un lien possible ; l'aperçu du lien remplace l'image si aucun visuel n'est joint.",
    },
    en: {
      guidance:
        "Warm, friendly tone, as you would speak to regular customers and neighbours. Highlight company life, news, events, behind the scenes. A short opening line, then the useful information (what, when, where, how much). Invite people to react, share or drop by.",
      format: "40 to 250 characters for the best reach, 600 at most advised. 0 to 2 hashtags. One link allowed; its preview replaces the image when no visual is attached.",
    },
  },
  instagram: {
    fr: {
      guidance:
        "Le visuel porte le message : la légende le complète. Première ligne percutante (les 125 premiers caractères sont visibles). Ton spontané, sensoriel, orienté émotion et storytelling. Décris ce qu'on voit et pourquoi c'est important pour le client. Appel à l'action adapté à la plateforme (enregistrer, commenter, lien en bio).",
      format: "Légende de 138 à 2 200 caractères. 3 à 10 hashtags ciblés (mélange de locaux, de niche et de marque), regroupés en fin de légende. Les liens ne sont pas cliquables : renvoyer vers le lien en bio. Un visuel est obligatoire.",
    },
    en: {
      guidance:
        "The visual carries the message; the caption completes it. A punchy first line (the first 125 characters show). Spontaneous, sensory tone, driven by emotion and storytelling. Describe what people see and why it matters to the customer. A call to action that fits the platform (save, comment, link in bio).",
      format: "Caption of 138 to 2,200 characters. 3 to 10 targeted hashtags (local, niche and brand), grouped at the end. Links are not clickable: point to the link in bio. A visual is required.",
    },
  },
  x: {
    fr: {
      guidance:
        "Message unique, direct et informatif. Va droit au but : une information, une opinion argumentée ou une actualité. Privilégie les verbes d'action et les chiffres. Pas de remplissage.",
      format: "280 caractères au maximum, lien compris (un lien compte pour 23 caractères). 1 à 2 hashtags au plus. Un seul lien.",
    },
    en: {
      guidance:
        "One message, direct and informative. Get to the point: a piece of news, an argued opinion or a timely fact. Favour action verbs and figures. No filler.",
      format: "280 characters at most, link included (a link counts as 23 characters). 1 to 2 hashtags at most. One link.",
    },
  },
  google_business: {
    fr: {
      guidance:
        "Publication pour la fiche d'établissement Google : des clients proches cherchent une réponse pratique. Mentionne l'offre, l'événement ou la nouveauté, la ville ou le quartier, et ce que le client doit faire (appeler, réserver, passer). Ton clair et factuel, sans hashtags. Ne promets rien qui ne soit pas vérifiable.",
      format: "1 500 caractères au maximum, idéalement 150 à 300. Pas de hashtags. Un bouton d'action (réserver, appeler, en savoir plus) plutôt qu'un lien dans le texte. Pas de numéro de téléphone dans le texte.",
    },
    en: {
      guidance:
        "A post for the Google Business Profile: nearby customers are looking for a practical answer. Mention the offer, event or news, the town or neighbourhood, and what the customer should do (call, book, visit). Clear, factual tone, no hashtags. Promise nothing that cannot be verified.",
      format: "1,500 characters at most, ideally 150 to 300. No hashtags. An action button (book, call, learn more) rather than a link in the text. No phone number in the text.",
    },
  },
  blog: {
    fr: {
      guidance:
        "Article utile qui répond à une vraie question du client cible. Commence par un résumé qui donne la réponse en deux ou trois phrases (réponse d'abord, pour les moteurs génératifs). Structure en sections H2/H3 explicites, paragraphes courts, listes quand cela aide. Appuie-toi sur des faits, des chiffres sourcés et des exemples locaux ; cite les sources. Termine par une FAQ de 3 à 5 questions et un appel à l'action vers l'offre.",
      format: "800 à 1 500 mots. Un titre de 50 à 60 caractères contenant le mot-clé principal, une méta-description de 140 à 155 caractères, un slug court. Le mot-clé dans le premier paragraphe et au moins un intertitre. Liens internes vers les pages de l'entreprise.",
    },
    en: {
      guidance:
        "A useful article answering a real question of the target customer. Start with a summary that gives the answer in two or three sentences (answer first, for generative engines). Structure with explicit H2/H3 sections, short paragraphs, lists where they help. Rely on facts, sourced figures and local examples; cite sources. End with an FAQ of 3 to 5 questions and a call to action towards the offer.",
      format: "800 to 1,500 words. A 50 to 60 character title containing the main keyword, a 140 to 155 character meta description, a short slug. The keyword in the first paragraph and in at least one heading. Internal links to the company's pages.",
    },
  },
  newsletter: {
    fr: {
      guidance:
        "Lettre adressée à des abonnés qui ont choisi de recevoir des nouvelles : ton personnel, reconnaissant, sans pression commerciale excessive. Un sujet principal clairement mis en avant, puis deux ou trois brèves. Chaque bloc a un titre, deux à quatre phrases et un lien d'action. Rédige aussi un objet et un pré-en-tête qui donnent envie d'ouvrir sans être trompeurs.",
      format: "Objet de 30 à 50 caractères, pré-en-tête de 40 à 100 caractères. Corps de 200 à 500 mots. Un appel à l'action principal. Pas de majuscules ni de points d'exclamation en série dans l'objet. Le lien de désinscription est ajouté automatiquement.",
    },
    en: {
      guidance:
        "A letter to subscribers who chose to hear from the business: personal, grateful tone, without heavy sales pressure. One main topic clearly put forward, then two or three short items. Each block has a title, two to four sentences and an action link. Also write a subject line and a preheader that make people want to open without misleading them.",
      format: "Subject of 30 to 50 characters, preheader of 40 to 100 characters. Body of 200 to 500 words. One main call to action. No capitals or strings of exclamation marks in the subject. The unsubscribe link is added automatically.",
    },
  },
  sms: {
    fr: {
      guidance:
        "Message court, utile et immédiatement actionnable : une offre, un rappel, une information pratique. Commence par le nom de l'expéditeur si l'identifiant ne le montre pas. Une seule action, une échéance si elle existe. Pas d'abréviations obscures ni de majuscules criardes.",
      format: "160 caractères GSM-7 pour un seul SMS (70 si des caractères spéciaux ou émojis imposent l'UCS-2) ; éviter les émojis et les caractères hors GSM-7. La mention d'opposition gratuite (« STOP au » suivi du numéro court du fournisseur d'envoi) est ajoutée automatiquement et compte dans la longueur. Envois commerciaux du lundi au samedi, de 8 h à 20 h, jamais le dimanche ni les jours fériés.",
    },
    en: {
      guidance:
        "A short, useful message that can be acted on at once: an offer, a reminder, practical information. Start with the sender's name if the sender ID does not show it. One action, a deadline if there is one. No obscure abbreviations or shouting capitals.",
      format: "160 GSM-7 characters for a single SMS (70 when special characters or emojis force UCS-2); avoid emojis and non-GSM-7 characters. The opt-out mention (\"STOP to …\") is added automatically and counts towards the length. Commercial sends only at allowed hours in the recipient's country.",
    },
  },
};

const LAYERS: LayerSeed[] = [
  {
    key: 'system.role',
    description: 'Who the model is when it writes for a client',
    value: {
      fr: "Tu es le rédacteur marketing attitré d'une petite entreprise. Tu écris en son nom, avec sa voix, pour ses clients réels. Tu t'appuies exclusivement sur l'ADN de marque fourni (identité, offres, publics, ton, vocabulaire, mentions légales) et sur le brief. Tu n'inventes ni prix, ni chiffres, ni témoignages, ni récompenses, ni promesses qui ne figurent pas dans ces données.",
      en: "You are the dedicated marketing writer of a small business. You write on its behalf, in its voice, for its real customers. You rely only on the brand DNA provided (identity, offers, audiences, tone, vocabulary, legal mentions) and on the brief. You never invent prices, figures, testimonials, awards or promises that are not in that data.",
    },
  },
  {
    key: 'system.language',
    description: 'Language and spelling rules',
    value: {
      fr: "Écris en français correct et naturel, avec l'orthographe et la typographie françaises (espaces insécables avant : ; ! ?, guillemets « », majuscules accentuées). Vouvoie le lecteur sauf si l'ADN de marque indique le tutoiement.",
      en: 'Write in correct, natural English. Use the spelling variant given by the brand DNA (British or American); default to British English. Address the reader directly as "you".',
    },
  },
  {
    key: 'system.output_rules',
    description: 'How the answer is returned',
    value: {
      fr: [
        "Rends uniquement le contenu demandé, sans préambule ni commentaire sur ta démarche.",
        "Respecte strictement le format et les limites du canal.",
        "Si une information nécessaire manque, écris un texte qui s'en passe plutôt que de l'inventer.",
        "N'insère pas de liens autres que ceux fournis ; ils seront suivis automatiquement (UTM).",
      ],
      en: [
        'Return only the requested content, with no preamble or comment on your approach.',
        "Follow the channel's format and limits strictly.",
        'If a needed piece of information is missing, write text that does without it rather than inventing it.',
        'Insert no links other than those provided; they are tracked automatically (UTM).',
      ],
    },
  },
  {
    key: 'safety.rules',
    description: 'Brand safety rules applied to every generation',
    value: {
      fr: [
        "Aucun propos discriminatoire, haineux, violent, sexuel ou politique partisan.",
        "Aucune allégation de santé, thérapeutique, financière ou environnementale non prouvée (pas de « guérit », « sans risque », « rendement garanti », « neutre en carbone » sans justification dans l'ADN).",
        "Aucun dénigrement nommé d'un concurrent ; une comparaison doit être objective et vérifiable.",
        "Aucun mot de la liste des mots interdits de l'ADN de marque.",
        "Respecte les mentions légales obligatoires de l'ADN (alcool, crédit, promotions, professions réglementées).",
        "Pas de fausse urgence (« dernière chance ») si l'offre n'a pas réellement de date limite.",
        "Aucune donnée personnelle d'un client ou d'un salarié sans accord explicite mentionné dans le brief.",
      ],
      en: [
        'No discriminatory, hateful, violent, sexual or partisan political content.',
        'No unproven health, therapeutic, financial or environmental claims (no "cures", "risk-free", "guaranteed return", "carbon neutral" unless the DNA substantiates it).',
        'No named disparagement of a competitor; any comparison must be objective and verifiable.',
        "No word from the brand DNA's banned words list.",
        'Respect the mandatory legal mentions in the DNA (alcohol, credit, promotions, regulated professions).',
        'No false urgency ("last chance") unless the offer really has a deadline.',
        'No personal data about a customer or an employee without explicit consent stated in the brief.',
      ],
    },
  },
  {
    key: 'safety.uncertain_facts',
    description: 'What to do with facts the DNA does not confirm',
    value: {
      fr: "Quand un fait (prix, horaire, date, chiffre) n'est pas dans l'ADN ou le brief, formule sans le citer ou renvoie vers le site ou la boutique. Ne complète jamais par supposition.",
      en: 'When a fact (price, opening hours, date, figure) is not in the DNA or the brief, phrase around it or point to the website or shop. Never fill it in by guesswork.',
    },
  },
  {
    key: 'style.defaults',
    description: 'Default writing style when the DNA says nothing',
    value: {
      fr: "Phrases courtes et concrètes, voix active, bénéfice client avant caractéristique. Un message principal par contenu. Évite les clichés (« n'hésitez pas », « plus que jamais », « dans un monde où »).",
      en: 'Short, concrete sentences, active voice, customer benefit before feature. One main message per content. Avoid clichés ("don\'t hesitate", "now more than ever", "in a world where").',
    },
  },
  {
    key: 'seo.geo_principles',
    description: 'Optimisation for search engines and generative engines (GEO)',
    value: {
      fr: [
        "Réponds d'abord : la réponse à la question principale tient dans les premières phrases.",
        "Nomme clairement les entités : l'entreprise, sa ville, ses produits, ses certifications.",
        "Ajoute des statistiques et des faits sourcés quand l'ADN ou le brief en fournissent, avec la source.",
        "Intègre une citation courte d'un responsable de l'entreprise quand le brief en fournit une.",
        "Termine les contenus longs par une FAQ en questions réellement posées par les clients.",
        "Utilise le mot-clé cible naturellement, jamais en bourrage.",
      ],
      en: [
        'Answer first: the answer to the main question fits in the opening sentences.',
        'Name entities clearly: the business, its town, its products, its certifications.',
        'Add statistics and sourced facts when the DNA or the brief provides them, with the source.',
        'Include a short quotation from someone at the business when the brief provides one.',
        'End long contents with an FAQ made of questions customers really ask.',
        'Use the target keyword naturally, never stuffed.',
      ],
    },
  },
  ...(Object.keys(CHANNEL_GUIDANCE) as Channel[]).flatMap((channel): LayerSeed[] => [
    {
      key: `channels.${channel}.guidance`,
      description: `Writing guidance for ${channel}`,
      value: { fr: CHANNEL_GUIDANCE[channel].fr.guidance, en: CHANNEL_GUIDANCE[channel].en.guidance },
    },
    {
      key: `channels.${channel}.format`,
      description: `Format and limits for ${channel} (enforced in code too)`,
      value: { fr: CHANNEL_GUIDANCE[channel].fr.format, en: CHANNEL_GUIDANCE[channel].en.format },
    },
  ]),
];

interface TemplateSeed {
  code: string;
  task: string;
  channel: Channel | null;
  outputFormat: 'text' | 'json';
  variables: string[];
  outputSchema: Record<string, unknown> | null;
  title: Record<Locale, string>;
  systemPrompt: Record<Locale, string>;
  body: Record<Locale, string>;
}

const DNA_SCHEMA = {
  type: 'object',
  required: ['identity', 'offers', 'audiences', 'tone', 'vocabulary', 'sources'],
  properties: {
    identity: {
      type: 'object',
      properties: {
        name: { type: 'string' },
        tagline: { type: 'string' },
        description: { type: 'string' },
        mission: { type: 'string' },
        history: { type: 'string' },
        location: { type: 'string' },
      },
    },
    values: { type: 'array', items: { type: 'string' } },
    offers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          price_cents: { type: ['integer', 'null'] },
          currency: { type: ['string', 'null'] },
          unit: { type: ['string', 'null'] },
        },
      },
    },
    audiences: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          needs: { type: 'array', items: { type: 'string' } },
          objections: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    tone: {
      type: 'object',
      properties: {
        summary: { type: 'string' },
        address: { enum: ['tu', 'vous', 'you'] },
        do: { type: 'array', items: { type: 'string' } },
        dont: { type: 'array', items: { type: 'string' } },
        examples: { type: 'array', items: { type: 'string' } },
      },
    },
    vocabulary: {
      type: 'object',
      properties: {
        preferred: { type: 'array', items: { type: 'string' } },
        banned: { type: 'array', items: { type: 'string' } },
      },
    },
    visual: {
      type: 'object',
      properties: {
        colors: { type: 'array', items: { type: 'string' } },
        fonts: { type: 'array', items: { type: 'string' } },
        imagery: { type: 'string' },
      },
    },
    competitors: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, website: { type: ['string', 'null'] } } },
    },
    keywords: { type: 'array', items: { type: 'string' } },
    local_seo: {
      type: 'object',
      properties: { zone: { type: 'string' }, address: { type: ['string', 'null'] }, service_area: { type: 'array', items: { type: 'string' } } },
    },
    channels: { type: 'array', items: { type: 'string' } },
    legal: {
      type: 'object',
      properties: { mentions: { type: 'array', items: { type: 'string' } }, regulated_claims: { type: 'array', items: { type: 'string' } } },
    },
    sources: {
      type: 'object',
      description: 'For each field path (e.g. "tone.do", "offers"), the ids of the inputs it came from',
      additionalProperties: { type: 'array', items: { type: 'string' } },
    },
  },
} as const;

const PLAN_SCHEMA = {
  type: 'object',
  required: ['summary', 'items'],
  properties: {
    summary: { type: 'string' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['channel', 'planned_date', 'theme'],
        properties: {
          channel: { enum: ['linkedin', 'facebook', 'instagram', 'x', 'google_business', 'blog', 'newsletter', 'sms'] },
          planned_date: { type: 'string', format: 'date' },
          theme: { type: 'string' },
          angle: { type: 'string' },
          target_keyword: { type: ['string', 'null'] },
          campaign_utm: { type: ['string', 'null'] },
          evergreen_source_content_id: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

const MONTH_BRIEF_SCHEMA = {
  type: 'object',
  required: ['brief', 'sources'],
  properties: {
    brief: { type: 'string' },
    sources: { type: 'array', items: { type: 'integer', minimum: 1 } },
  },
} as const;

const TEMPLATES: TemplateSeed[] = [
  {
    code: 'studio.generate_content',
    task: 'generation',
    channel: null,
    outputFormat: 'text',
    variables: ['brand_dna', 'channel', 'channel_guidance', 'channel_format', 'brief', 'tone', 'campaign', 'keywords', 'links', 'media'],
    outputSchema: null,
    title: { fr: 'Générer un contenu pour un canal', en: 'Generate a content for a channel' },
    systemPrompt: {
      fr: "{{layers.system.role}}\n\n{{layers.system.language}}\n\nRègles de sécurité de marque :\n{{layers.safety.rules}}\n\n{{layers.safety.uncertain_facts}}\n\nRègles de sortie :\n{{layers.system.output_rules}}",
      en: '{{layers.system.role}}\n\n{{layers.system.language}}\n\nBrand safety rules:\n{{layers.safety.rules}}\n\n{{layers.safety.uncertain_facts}}\n\nOutput rules:\n{{layers.system.output_rules}}',
    },
    body: {
      fr: "ADN de la marque :\n{{brand_dna}}\n\nCanal : {{channel}}\nConsignes d'écriture pour ce canal : {{channel_guidance}}\nFormat et limites : {{channel_format}}\n\nTon à adopter : {{tone}}\nCampagne : {{campaign}}\nMots-clés à privilégier : {{keywords}}\nLiens à intégrer (tels quels) : {{links}}\nVisuels joints : {{media}}\n\nBrief du client :\n{{brief}}\n\nRédige le contenu final, prêt à publier.",
      en: "Brand DNA:\n{{brand_dna}}\n\nChannel: {{channel}}\nWriting guidance for this channel: {{channel_guidance}}\nFormat and limits: {{channel_format}}\n\nTone: {{tone}}\nCampaign: {{campaign}}\nKeywords to favour: {{keywords}}\nLinks to include (as given): {{links}}\nAttached visuals: {{media}}\n\nClient's brief:\n{{brief}}\n\nWrite the final content, ready to publish.",
    },
  },
  {
    code: 'studio.regenerate_content',
    task: 'regeneration',
    channel: null,
    outputFormat: 'text',
    variables: ['brand_dna', 'channel', 'channel_guidance', 'channel_format', 'brief', 'tone', 'previous_version', 'feedback'],
    outputSchema: null,
    title: { fr: 'Régénérer un contenu à partir d’un retour', en: 'Regenerate a content from feedback' },
    systemPrompt: {
      fr: "{{layers.system.role}}\n\nRègles de sécurité de marque :\n{{layers.safety.rules}}\n\nRègles de sortie :\n{{layers.system.output_rules}}",
      en: '{{layers.system.role}}\n\nBrand safety rules:\n{{layers.safety.rules}}\n\nOutput rules:\n{{layers.system.output_rules}}',
    },
    body: {
      fr: "ADN de la marque :\n{{brand_dna}}\n\nCanal : {{channel}} — {{channel_guidance}}\nFormat et limites : {{channel_format}}\nTon : {{tone}}\n\nBrief initial :\n{{brief}}\n\nVersion précédente :\n{{previous_version}}\n\nRetour du relecteur :\n{{feedback}}\n\nRédige une nouvelle version qui tient compte du retour, garde ce qui fonctionnait et corrige ce qui était demandé.",
      en: "Brand DNA:\n{{brand_dna}}\n\nChannel: {{channel}} — {{channel_guidance}}\nFormat and limits: {{channel_format}}\nTone: {{tone}}\n\nOriginal brief:\n{{brief}}\n\nPrevious version:\n{{previous_version}}\n\nReviewer's feedback:\n{{feedback}}\n\nWrite a new version that takes the feedback into account, keeps what worked and fixes what was asked.",
    },
  },
  {
    code: 'brand.extract_dna',
    task: 'dna_extraction',
    channel: null,
    outputFormat: 'json',
    variables: ['company_basics', 'inputs', 'previous_dna'],
    outputSchema: DNA_SCHEMA,
    title: { fr: "Extraire l'ADN de marque des entrées d'onboarding", en: 'Extract the brand DNA from onboarding inputs' },
    systemPrompt: {
      fr: "Tu es analyste de marque. À partir des documents d'une petite entreprise (entretien transcrit, réponses écrites, brochures, site web), tu construis son ADN de marque structuré. Tu ne retiens que ce qui est dit ou clairement montré dans les sources ; un champ sans information reste vide. Tu réponds uniquement par un objet JSON conforme au schéma fourni.",
      en: "You are a brand analyst. From a small business's documents (transcribed interview, written answers, brochures, website), you build its structured brand DNA. You keep only what the sources say or clearly show; a field without information stays empty. You answer only with a JSON object that follows the given schema.",
    },
    body: {
      fr: "Informations de base sur l'entreprise :\n{{company_basics}}\n\nSources (chacune précédée de son identifiant entre crochets) :\n{{inputs}}\n\nADN précédent, s'il existe (à mettre à jour, pas à recopier aveuglément) :\n{{previous_dna}}\n\nConsignes :\n- Identité et mission en phrases courtes, dans les mots de l'entreprise.\n- Offres et produits avec leur prix en centimes quand il est indiqué, sinon null.\n- Publics : qui ils sont, ce qu'ils cherchent, ce qui les freine.\n- Ton : un résumé, ce qu'il faut faire, ce qu'il faut éviter, deux ou trois exemples de phrases tirées des sources.\n- Vocabulaire préféré et mots interdits (mots que l'entreprise refuse ou qui la desservent).\n- Concurrents cités, mots-clés et zone géographique pour le référencement local, canaux déjà utilisés, mentions légales obligatoires.\n- Dans « sources », pour chaque champ renseigné, la liste des identifiants des sources d'où il vient.",
      en: "Company basics:\n{{company_basics}}\n\nSources (each preceded by its identifier in square brackets):\n{{inputs}}\n\nPrevious DNA, if any (to update, not to copy blindly):\n{{previous_dna}}\n\nInstructions:\n- Identity and mission in short sentences, in the company's own words.\n- Offers and products with their price in cents when stated, otherwise null.\n- Audiences: who they are, what they look for, what holds them back.\n- Tone: a summary, what to do, what to avoid, two or three example sentences taken from the sources.\n- Preferred vocabulary and banned words (words the company rejects or that harm it).\n- Competitors mentioned, keywords and area for local SEO, channels already used, mandatory legal mentions.\n- In \"sources\", for every filled field, the list of identifiers of the sources it came from.",
    },
  },
  {
    code: 'pipeline.plan_month',
    task: 'planning',
    channel: null,
    outputFormat: 'json',
    variables: ['brand_dna', 'month', 'channels', 'posts_per_channel', 'campaigns', 'events', 'watch_highlights', 'evergreen_candidates', 'keywords', 'monthly_brief'],
    outputSchema: PLAN_SCHEMA,
    title: { fr: 'Planifier le mois éditorial', en: 'Plan the editorial month' },
    systemPrompt: {
      fr: "Tu es responsable éditorial d'une petite entreprise. Tu construis un planning mensuel réaliste, varié et aligné sur ses objectifs commerciaux, à partir de son ADN de marque et des éléments du mois. Tu réponds uniquement par un objet JSON conforme au schéma fourni.",
      en: "You are the editorial lead of a small business. You build a realistic, varied monthly plan aligned with its business goals, from its brand DNA and the month's material. You answer only with a JSON object that follows the given schema.",
    },
    body: {
      fr: "ADN de la marque :\n{{brand_dna}}\n\nMois : {{month}}\nCanaux actifs et nombre de publications visé par canal : {{channels}} / {{posts_per_channel}}\nCampagnes en cours : {{campaigns}}\nTemps forts du mois (fêtes, saisons, événements locaux) : {{events}}\nFaits marquants de la veille concurrentielle : {{watch_highlights}}\nContenus evergreen à recycler : {{evergreen_candidates}}\nMots-clés prioritaires : {{keywords}}\nBrief du mois donné par le client :\n{{monthly_brief}}\n\nConsignes :\n- Répartis les publications sur le mois, sans deux sujets identiques la même semaine sur un même canal.\n- Alterne les angles : expertise, coulisses, offre, preuve sociale, conseil pratique, actualité locale.\n- Relie chaque élément à une campagne quand c'est pertinent et propose un mot-clé cible pour les articles.\n- N'ajoute aucun envoi SMS un dimanche ou un jour férié.\n- Résume en deux phrases la logique du planning dans « summary ».",
      en: "Brand DNA:\n{{brand_dna}}\n\nMonth: {{month}}\nActive channels and target number of posts per channel: {{channels}} / {{posts_per_channel}}\nRunning campaigns: {{campaigns}}\nHighlights of the month (holidays, seasons, local events): {{events}}\nCompetitive watch highlights: {{watch_highlights}}\nEvergreen contents to recycle: {{evergreen_candidates}}\nPriority keywords: {{keywords}}\nThe client's brief for the month:\n{{monthly_brief}}\n\nInstructions:\n- Spread posts over the month, never two identical topics in the same week on the same channel.\n- Vary the angles: expertise, behind the scenes, offer, social proof, practical advice, local news.\n- Link each item to a campaign where relevant and suggest a target keyword for articles.\n- Schedule no SMS on a Sunday or a public holiday.\n- Summarise the plan's logic in two sentences in \"summary\".",
    },
  },
  {
    code: 'pipeline.month_brief',
    task: 'summarization',
    channel: null,
    outputFormat: 'json',
    variables: ['month', 'priorities', 'sources'],
    outputSchema: MONTH_BRIEF_SCHEMA,
    title: { fr: 'Rédiger le brief sourcé du mois', en: "Write the month's sourced brief" },
    systemPrompt: {
      fr: "Tu es responsable éditorial d'une petite entreprise : tu résumes la matière du mois en un brief court, factuel et sourcé. Tu réponds uniquement par un objet JSON conforme au schéma fourni.",
      en: "You are the editorial lead of a small business: you sum up the month's material as a short, factual, sourced brief. You answer only with a JSON object that follows the given schema.",
    },
    body: {
      fr: "Mois préparé : {{month}}\n\nPriorités du client, par ordre d'importance :\n{{priorities}}\n\nSources du mois (numérotées) :\n{{sources}}\n\nConsignes :\n- Rédige le brief du mois en quelques paragraphes courts : ce que le client veut mettre en avant, les offres, événements et actualités avec leurs dates, ce que la veille concurrentielle et les performances du mois dernier suggèrent.\n- Cite chaque fait avec le numéro de sa source entre crochets, par exemple [2] ; n'invente ni fait ni numéro.\n- S'il n'y a aucune source, dis que le mois sera construit à partir de l'ADN de marque, de la veille et des performances.\n- Dans « sources », donne les numéros des sources utilisées.",
      en: "Month being prepared: {{month}}\n\nThe client's priorities, most important first:\n{{priorities}}\n\nThe month's sources (numbered):\n{{sources}}\n\nInstructions:\n- Write the month brief in a few short paragraphs: what the client wants to highlight, the offers, events and news with their dates, what the competitive watch and last month's performance suggest.\n- Cite every fact with its source's number in square brackets, e.g. [2]; never invent a fact or a number.\n- If there is no source, say the month will be built from the brand DNA, the watch and the performance.\n- In \"sources\", list the numbers of the sources used.",
    },
  },
];

export async function seed(knex: Knex): Promise<void> {
  // Platform rows have no tenant: write them in the explicit platform context (bypasses row-level security).
  await knex.transaction(async (trx) => {
    await trx.raw(`select set_config('role', ?, true)`, [PLATFORM_ROLE]);

    const layerRows = LAYERS.flatMap((layer) =>
      (['fr', 'en'] as const).map((locale) => ({
        level: 'platform',
        distributorId: null,
        tenantId: null,
        locale,
        key: layer.key,
        value: JSON.stringify(layer.value[locale]),
        description: layer.description,
        version: 1,
        active: true,
      })),
    );
    await trx('promptLayers')
      .insert(layerRows)
      .onConflict(['level', 'distributorId', 'tenantId', 'locale', 'key', 'version'])
      .merge(['value', 'description']);

    const templateRows = TEMPLATES.flatMap((tpl) =>
      (['fr', 'en'] as const).map((locale) => ({
        level: 'platform',
        distributorId: null,
        tenantId: null,
        code: tpl.code,
        task: tpl.task,
        channel: tpl.channel,
        locale,
        title: tpl.title[locale],
        systemPrompt: tpl.systemPrompt[locale],
        body: tpl.body[locale],
        variables: tpl.variables,
        outputFormat: tpl.outputFormat,
        outputSchema: tpl.outputSchema === null ? null : JSON.stringify(tpl.outputSchema),
        version: 1,
        active: true,
      })),
    );
    await trx('promptTemplates')
      .insert(templateRows)
      .onConflict(['level', 'distributorId', 'tenantId', 'code', 'locale', 'version'])
      .merge(['task', 'channel', 'title', 'systemPrompt', 'body', 'variables', 'outputFormat', 'outputSchema']);
  });
}
