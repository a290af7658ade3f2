export type B = number;
