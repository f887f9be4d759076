// The bench parts and the targets their figures are held to (issues 4, 5 and 7). A part is a
// command that receives an output JSON path and writes
// { "<key>": { "value": number, "unit": string, "label": string } } there.
export const PARTS = [];

/** key → { max } or { min }: the figure must stay at or under max / at or over min. */
export const TARGETS = {};
