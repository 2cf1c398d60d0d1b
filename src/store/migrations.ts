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
  `
  CREATE TABLE releases (
    id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    -- who asked for it and how, for the history
    spec TEXT NOT NULL
  );
  CREATE TABLE deployments (
    id TEXT PRIMARY KEY,
    release_id TEXT NOT NULL REFERENCES releases(id),
    component TEXT NOT NULL REFERENCES components(name),
    -- components of the same release that must succeed first (JSON array of names)
    after TEXT NOT NULL,
    status TEXT NOT NULL,
    -- the reducer's whole state (JSON); status is duplicated for queries
    state TEXT NOT NULL,
    -- gate settings for this deployment (JSON)
    gates TEXT NOT NULL,
    hooks TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX deployments_by_status ON deployments(status);
  CREATE INDEX deployments_by_release ON deployments(release_id);
  -- At most one unfinished deployment per component, enforced by the database itself.
  CREATE UNIQUE INDEX one_active_deployment ON deployments(component)
    WHERE status IN ('created', 'before-hook', 'in-progress', 'baking', 'after-hook', 'paused');
  CREATE TABLE deployment_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id TEXT NOT NULL REFERENCES deployments(id),
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    sentence TEXT NOT NULL,
    status TEXT NOT NULL,
    weight_bp INTEGER NOT NULL
  );
  CREATE INDEX events_by_deployment ON deployment_events(deployment_id, seq);
  `,
  `
  -- Blast radius (JSON): distinct users the new version served, of all active users.
  ALTER TABLE deployments ADD COLUMN exposure TEXT;
  `,
  `
  -- The running shadow per component (its policy, JSON); a row exists while it runs.
  CREATE TABLE shadows (
    component TEXT PRIMARY KEY REFERENCES components(name),
    policy TEXT NOT NULL,
    started_at INTEGER NOT NULL
  );
  -- Comparison reports, kept after a shadow stops so a deployment can consult them.
  CREATE TABLE shadow_reports (
    component TEXT NOT NULL REFERENCES components(name),
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (component, version)
  );
  `,
  `
  -- The schema of the reducer state's JSON (src/store/stored-state.ts); rows before it are schema 1.
  ALTER TABLE deployments ADD COLUMN state_version INTEGER NOT NULL DEFAULT 1;
  `,
  `
  -- Keys made on first start and kept across restarts (src/store/secrets.ts): the page key
  -- that signs the gateway's page tokens, so open pages' beacons and pins outlive a restart.
  CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
];
