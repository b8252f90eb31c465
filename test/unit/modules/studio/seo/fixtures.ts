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
