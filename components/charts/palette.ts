// Okabe–Ito: distinguishable with the common colour-vision deficiencies, readable on light and dark backgrounds.
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00'] as const;
/** line dash per series, so overlaid curves differ by more than colour */
export const DASHES = ['', '6 3', '2 2', '8 3 2 3', '4 4', '1 3'] as const;
