// The people of the demo: the seed's operator and one user of each seed client
// (supabase/seed.sql), as the identity switcher offers them.
export const CLIENT_A = "11111111-1111-4111-8111-111111111111";
export const CLIENT_B = "22222222-2222-4222-8222-222222222222";

export interface Identity {
  /** Short key used in the switcher, the cookie and the e2e tests. */
  key: "mikl" | "camille" | "bruno";
  userId: string;
  role: "operator" | "client";
  clientId: string | null;
  name: string;
  email: string;
  /** The Foxeo space this person works in. */
  space: string;
  /** Who they are, for the switcher. */
  description: string;
}

export const CLIENTS = [
  { id: CLIENT_A, name: "Atelier Dupont" },
  { id: CLIENT_B, name: "Boulangerie Bernard" },
] as const;

export const IDENTITIES: readonly Identity[] = [
  {
    key: "mikl",
    userId: "0e000000-0000-4000-8000-000000000001",
    role: "operator",
    clientId: null,
    name: "MiKL",
    email: "mikl@foxeo.test",
    space: "Hub",
    description: "Opérateur, voit les réunions de tous les clients",
  },
  {
    key: "camille",
    userId: "0a000000-0000-4000-8000-00000000000a",
    role: "client",
    clientId: CLIENT_A,
    name: "Camille Martin",
    email: "camille@atelier-dupont.test",
    space: "Lab",
    description: "Cliente, Atelier Dupont",
  },
  {
    key: "bruno",
    userId: "0b000000-0000-4000-8000-00000000000b",
    role: "client",
    clientId: CLIENT_B,
    name: "Bruno Petit",
    email: "bruno@boulangerie-bernard.test",
    space: "One",
    description: "Client, Boulangerie Bernard",
  },
];

export function identityByKey(key: string | undefined | null): Identity | null {
  return IDENTITIES.find((i) => i.key === key) ?? null;
}

export function clientName(clientId: string | null): string | null {
  return CLIENTS.find((c) => c.id === clientId)?.name ?? null;
}
