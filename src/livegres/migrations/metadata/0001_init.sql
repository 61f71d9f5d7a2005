-- Livegres's catalog, in Hasura's shape: the engine's identity and the stored metadata.
CREATE TABLE hdb_catalog.hdb_version (
    hasura_uuid uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    version text NOT NULL,
    upgraded_on timestamptz NOT NULL DEFAULT now(),
    cli_state jsonb NOT NULL DEFAULT '{}'::jsonb,
    console_state jsonb NOT NULL DEFAULT '{}'::jsonb,
    ee_client_id text,
    ee_client_secret text
);
CREATE UNIQUE INDEX hdb_version_one_row ON hdb_catalog.hdb_version ((version IS NOT NULL));
INSERT INTO hdb_catalog.hdb_version (version) VALUES ('48');

CREATE TABLE hdb_catalog.hdb_metadata (
    id integer PRIMARY KEY,
    metadata json NOT NULL,
    resource_version integer NOT NULL DEFAULT 1 UNIQUE
);
