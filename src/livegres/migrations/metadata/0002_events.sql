-- Event triggers, cron triggers and one-off scheduled events, in Hasura's table shapes.
--
-- Additions to Hasura's shapes (extra columns only): ``locked_by`` names the instance that
-- holds an event's lock, so that a crashed instance's events are reclaimed at once, and
-- ``ordering_key`` lets an ordered trigger deliver the events of one row one at a time.

CREATE TABLE IF NOT EXISTS hdb_catalog.event_log (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    trigger_name text NOT NULL,
    payload jsonb NOT NULL,
    delivered boolean NOT NULL DEFAULT false,
    error boolean NOT NULL DEFAULT false,
    tries integer NOT NULL DEFAULT 0,
    created_at timestamp DEFAULT now(),
    locked timestamptz,
    next_retry_at timestamp,
    archived boolean NOT NULL DEFAULT false
);
ALTER TABLE hdb_catalog.event_log ADD COLUMN IF NOT EXISTS locked_by bigint;
ALTER TABLE hdb_catalog.event_log ADD COLUMN IF NOT EXISTS seq bigserial;
ALTER TABLE hdb_catalog.event_log ADD COLUMN IF NOT EXISTS ordering_key text;

CREATE INDEX IF NOT EXISTS event_log_fetch_events ON hdb_catalog.event_log
    (locked NULLS FIRST, next_retry_at NULLS FIRST, created_at)
    WHERE delivered = 'f' AND error = 'f' AND archived = 'f';
CREATE INDEX IF NOT EXISTS event_log_pending_seq ON hdb_catalog.event_log (seq)
    WHERE delivered = 'f' AND error = 'f' AND archived = 'f';
CREATE INDEX IF NOT EXISTS event_log_ordering ON hdb_catalog.event_log (trigger_name, ordering_key, seq)
    WHERE ordering_key IS NOT NULL AND delivered = 'f' AND error = 'f' AND archived = 'f';
CREATE INDEX IF NOT EXISTS event_log_trigger_name ON hdb_catalog.event_log (trigger_name);
CREATE INDEX IF NOT EXISTS event_log_created_at ON hdb_catalog.event_log (created_at);

CREATE TABLE IF NOT EXISTS hdb_catalog.event_invocation_logs (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    trigger_name text,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamp DEFAULT now()
);
CREATE INDEX IF NOT EXISTS event_invocation_logs_event_id ON hdb_catalog.event_invocation_logs (event_id);

-- Hasura's capture function: the row data plus the session of the transaction (the
-- ``hasura.user`` setting, null when the change did not come through the engine).
CREATE OR REPLACE FUNCTION hdb_catalog.insert_event_log(
    schema_name text, table_name text, trigger_name text, op text, row_data json
) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    id text;
BEGIN
    id := hdb_catalog.livegres_insert_event(schema_name, table_name, trigger_name, op, row_data, NULL);
    RETURN id;
END;
$$;

CREATE OR REPLACE FUNCTION hdb_catalog.livegres_insert_event(
    schema_name text, table_name text, trigger_name text, op text, row_data json, ordering_key text
) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    id text;
    payload json;
BEGIN
    id := gen_random_uuid();
    payload := json_build_object(
        'op', op,
        'data', row_data,
        'session_variables', NULLIF(current_setting('hasura.user', true), '')::json,
        'trace_context', NULLIF(current_setting('hasura.tracecontext', true), '')::json
    );
    INSERT INTO hdb_catalog.event_log (id, schema_name, table_name, trigger_name, payload, ordering_key)
    VALUES (id, schema_name, table_name, trigger_name, payload, ordering_key);
    PERFORM pg_notify('livegres_events', '');
    RETURN id;
END;
$$;

-- Cron triggers (the definitions live in the metadata) and their events.
CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_events (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    trigger_name text NOT NULL,
    scheduled_time timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'scheduled',
    tries integer NOT NULL DEFAULT 0,
    created_at timestamptz DEFAULT now(),
    next_retry_at timestamptz,
    CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead'))
);
ALTER TABLE hdb_catalog.hdb_cron_events ADD COLUMN IF NOT EXISTS locked_by bigint;
-- One event per trigger and scheduled time, whatever the number of instances generating them.
CREATE UNIQUE INDEX IF NOT EXISTS hdb_cron_events_unique_time ON hdb_catalog.hdb_cron_events (trigger_name, scheduled_time);
CREATE INDEX IF NOT EXISTS hdb_cron_event_status ON hdb_catalog.hdb_cron_events (status);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_cron_event_invocation_logs (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamptz DEFAULT now(),
    FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_cron_events (id) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS hdb_cron_event_invocation_event_id ON hdb_catalog.hdb_cron_event_invocation_logs (event_id);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_events (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    webhook_conf json NOT NULL,
    scheduled_time timestamptz NOT NULL,
    retry_conf json,
    payload json,
    header_conf json,
    status text NOT NULL DEFAULT 'scheduled',
    tries integer NOT NULL DEFAULT 0,
    created_at timestamptz DEFAULT now(),
    next_retry_at timestamptz,
    comment text,
    CONSTRAINT valid_status CHECK (status IN ('scheduled', 'locked', 'delivered', 'error', 'dead'))
);
ALTER TABLE hdb_catalog.hdb_scheduled_events ADD COLUMN IF NOT EXISTS locked_by bigint;
CREATE INDEX IF NOT EXISTS hdb_scheduled_event_status ON hdb_catalog.hdb_scheduled_events (status);

CREATE TABLE IF NOT EXISTS hdb_catalog.hdb_scheduled_event_invocation_logs (
    id text DEFAULT gen_random_uuid() PRIMARY KEY,
    event_id text,
    status integer,
    request json,
    response json,
    created_at timestamptz DEFAULT now(),
    FOREIGN KEY (event_id) REFERENCES hdb_catalog.hdb_scheduled_events (id) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS hdb_scheduled_event_invocation_event_id
    ON hdb_catalog.hdb_scheduled_event_invocation_logs (event_id);
