export const e = 3;
