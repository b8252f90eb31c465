import type { SeoInput } from '../../../../../src/modules/studio/seo/analyzer.js';

export const business = {
  name: 'Boulangerie Martin',
  city: 'Lyon',
  address: '12 rue de la République',
  phone: '+33 4 78 00 00 00',
  url: 'https://boulangerie-martin.fr',
};

export const ownPages = [
  { url: 'https://boulangerie-martin.fr/pain-au-levain', title: 'Notre pain au levain naturel' },
  { url: 'https://boulangerie-martin.fr/contact', title: 'Contact et horaires' },
  { url: 'https://boulangerie-martin.fr/viennoiseries', title: 'Nos viennoiseries pur beurre' },
];

/** A complete French blog article: answer first, figures with sources, a quotation, entities, FAQ, links. */
export const goodArticle: SeoInput = {
  locale: 'fr',
  channel: 'blog',
  title: 'Pain au levain à Lyon : pourquoi il se garde plus longtemps',
  metaDescription:
    'Le pain au levain se garde jusqu’à une semaine grâce à sa fermentation lente. Nos conseils de boulanger à Lyon pour bien le choisir et le conserver.',
  slug: 'pain-levain-lyon-conservation',
  targetKeyword: 'pain au levain',
  brandKeywords: ['levain naturel', 'farine bio'],
  ownPages,
  business,
  body: `Le pain au levain se garde plus longtemps qu'une baguette classique. Sa fermentation lente, de 12 à 18 heures, acidifie la pâte et ralentit le rassissement. À la Boulangerie Martin, à Lyon, nous le cuisons chaque matin avec une farine bio.

## Qu'est-ce que le pain au levain ?

Le levain est un mélange de farine et d'eau que l'on laisse fermenter. Il remplace la levure industrielle. Selon l'INRAE, un levain naturel abrite plus de 50 espèces de bactéries lactiques. Ces bactéries donnent au pain son goût légèrement acide.

Découvrez [notre pain au levain naturel](https://boulangerie-martin.fr/pain-au-levain) et ses variantes.

## Combien de temps se conserve un pain au levain ?

Une miche bien cuite se conserve de 5 à 7 jours dans un torchon. D'après une étude de l'Observatoire du pain publiée en 2023, 62 % des Français jettent du pain rassis chaque semaine. Le levain réduit ce gaspillage.

« Un bon levain, c'est de la patience et une farine vivante », explique Paul Martin, notre chef boulanger.

## Pourquoi choisir une farine bio ?

Une farine bio garde davantage de micro-organismes sauvages, qui nourrissent le levain. Notre meunier, le Moulin de la Vallée, est installé à 40 km de Lyon. Nous achetons chaque année environ 30 tonnes de farine de blé T80 et de seigle. Ce circuit court limite le transport et soutient les agriculteurs de la région. Vous sentez la différence dès la première bouchée : une mie plus dense, une croûte plus épaisse et des arômes de noisette.

## Comment bien conserver son pain ?

- Gardez-le dans un sac en tissu, jamais au réfrigérateur.
- Posez-le sur la face coupée pour garder la mie humide.
- Congelez-le en tranches si vous ne le mangez pas en trois jours.

Pour aller plus loin, l'ADEME publie des conseils contre le gaspillage alimentaire : [guide anti-gaspillage](https://www.ademe.fr/gaspillage).

## FAQ

**Le levain convient-il aux intolérants au gluten ?**

Non. Il contient du gluten, même si la fermentation longue le rend plus digeste pour certaines personnes.

**Peut-on congeler une miche entière ?**

Oui. Tranchez-le avant de le congeler et grillez les tranches sans les décongeler.
`,
};

/** A thin post: no intro answer, no figures, no sources, no FAQ, no links, title and meta missing the mark. */
export const thinArticle: SeoInput = {
  locale: 'fr',
  channel: 'blog',
  title: 'Nouveautés',
  body: `# Nouveautés

Dans cet article, nous allons vous parler de nos nouveautés de la semaine, qui sont vraiment très nombreuses et que nous avons préparées avec beaucoup de soin pour vous faire plaisir.

#### Les produits

Venez les découvrir en boutique.
`,
  targetKeyword: 'pain au levain',
  brandKeywords: [],
  ownPages,
  business,
};

/** Two more sections that bring the good article past 600 words: every check passes, the score is 100. */
const FULL_ARTICLE_SECTIONS = `## Comment reconnaître un vrai pain au levain ?

Un vrai pain au levain se reconnaît d'abord à sa croûte. Elle est épaisse, brune et craque sous les doigts. La mie est crème, jamais blanche. Ses alvéoles sont irrégulières, grandes ou petites. Le goût est légèrement acide, avec des notes de céréales grillées.

Méfiez-vous des mentions floues. Un pain « à l'ancienne » ou « rustique » peut contenir de la levure. Le décret pain de 1993 encadre l'appellation « pain de tradition française » : farine, eau, sel, levain ou levure, et rien d'autre. Demandez toujours à votre boulanger comment il fait lever sa pâte.

Chez nous, la réponse est simple. Notre levain a plus de dix ans. Nous le nourrissons deux fois par jour avec de la farine de seigle et de l'eau tiède. Il vit dans une pièce à 24 °C, près du fournil. Chaque fournée part d'une petite part de la pâte de la veille.

## Quel pain au levain choisir pour chaque repas ?

Le matin, prenez une tranche de pain complet avec du beurre et un peu de miel. Le midi, une miche de campagne accompagne bien les salades et les fromages. Le soir, un pain aux noix ou aux figues se marie avec un plateau de fromages affinés. Pour les enfants, le pain de mie au levain reste moelleux toute la semaine.

Vous recevez du monde ? Commandez une grande couronne la veille. Elle se partage à table et se conserve jusqu'au lendemain. Nous la cuisons sur commande, du mardi au dimanche.

Pour un pique-nique, pensez aux petits pains individuels. Ils tiennent dans un sac et ne s'écrasent pas. Garnissez-les au dernier moment pour que la mie reste ferme. Pour la soupe du soir, gardez le talon de la miche : grillé avec un filet d'huile d'olive, il remplace les croûtons. Rien ne se perd, et chaque morceau garde son goût jusqu'au bout. Bon appétit à toute la famille !`;

/** A full-marks French article (605 words): the good article with two more practical sections before its FAQ. */
export const fullArticle: SeoInput = {
  ...goodArticle,
  body: goodArticle.body.replace('## FAQ', `${FULL_ARTICLE_SECTIONS}\n\n## FAQ`),
};
