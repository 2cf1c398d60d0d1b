/** Ordered schema migrations; never edit one that has shipped, append a new one. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE components (
    name TEXT PRIMARY KEY,
    -- The next version number to hand out; only ever grows, so numbers are never reused.
    next_version INTEGER NOT NULL DEFAULT 1
  );
  CREATE TABLE versions (
    component TEXT NOT NULL REFERENCES components(name),
    number INTEGER NOT NULL,
    target TEXT NOT NULL,
    description TEXT,
    created_at TEXT NOT NULL,
    retired_at TEXT,
    PRIMARY KEY (component, number)
  );
  CREATE TABLE aliases (
    component TEXT NOT NULL REFERENCES components(name),
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    additional_version INTEGER,
    additional_weight_bp INTEGER NOT NULL DEFAULT 0,
    mode TEXT NOT NULL,
    seed TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (component, name)
  );
  `,
];
