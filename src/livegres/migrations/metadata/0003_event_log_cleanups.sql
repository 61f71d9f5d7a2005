-- Runs of the per-trigger automatic clean-up (``cleanup_config``), in Hasura's shape. The
-- unique (trigger_name, scheduled_at) makes each scheduled run happen once across instances.
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_event_log_cleanups (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    trigger_name text NOT NULL,
    scheduled_at timestamp NOT NULL,
    deleted_event_logs integer,
    deleted_event_invocation_logs integer,
    status text NOT NULL,
    CHECK (status IN ('scheduled', 'paused', 'completed', 'dead')),
    UNIQUE (trigger_name, scheduled_at)
);
