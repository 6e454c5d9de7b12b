-- Incident 4: sync preview cache, progress tracking and an activity log with partitions.
CREATE TYPE sync_status AS ENUM ('queued', 'running', 'done', 'failed');
CREATE TYPE sync_kind AS ENUM ('full', 'incremental');
CREATE TYPE sync_level AS ENUM ('debug', 'info', 'warn', 'error');
CREATE TYPE sync_source AS ENUM ('api', 'webhook', 'schedule');

CREATE TABLE sync_preview_cache (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    created_by      uuid REFERENCES auth.users_extended (id),
    kind            sync_kind NOT NULL,
    payload         jsonb NOT NULL DEFAULT '{}',
    expires_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sync_progress (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    status          sync_status NOT NULL DEFAULT 'queued',
    source          sync_source NOT NULL,
    done            integer NOT NULL DEFAULT 0,
    total           integer,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sync_activity_log (
    id              bigint GENERATED ALWAYS AS IDENTITY,
    organization_id uuid NOT NULL,
    level           sync_level NOT NULL,
    message         text NOT NULL,
    logged_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, logged_at)
) PARTITION BY RANGE (logged_at);
CREATE TABLE sync_activity_log_2025 PARTITION OF sync_activity_log FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE sync_activity_log_2026 PARTITION OF sync_activity_log FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

CREATE INDEX idx_preview_org ON sync_preview_cache (organization_id);
CREATE INDEX idx_preview_expires ON sync_preview_cache (expires_at);
CREATE INDEX idx_preview_kind ON sync_preview_cache (kind);
CREATE INDEX idx_preview_creator ON sync_preview_cache (created_by);
CREATE INDEX idx_preview_payload ON sync_preview_cache USING gin (payload);
CREATE INDEX idx_progress_org ON sync_progress (organization_id);
CREATE INDEX idx_progress_status ON sync_progress (status);
CREATE INDEX idx_progress_running ON sync_progress (organization_id) WHERE status = 'running';
CREATE INDEX idx_progress_source ON sync_progress (source);
CREATE INDEX idx_progress_updated ON sync_progress (updated_at DESC);
CREATE INDEX idx_log_org ON sync_activity_log (organization_id);
CREATE INDEX idx_log_level ON sync_activity_log (level);
CREATE INDEX idx_log_logged ON sync_activity_log (logged_at DESC);
CREATE INDEX idx_log_org_logged ON sync_activity_log (organization_id, logged_at);
CREATE INDEX idx_log_errors ON sync_activity_log (logged_at) WHERE level = 'error';

CREATE FUNCTION sync_touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE FUNCTION sync_progress_check() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.done > NEW.total THEN RAISE EXCEPTION 'done > total'; END IF; RETURN NEW; END $$;
CREATE FUNCTION sync_log_default_level() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.level := coalesce(NEW.level, 'info'); RETURN NEW; END $$;
CREATE FUNCTION sync_preview_expiry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.expires_at := least(NEW.expires_at, now() + interval '1 day'); RETURN NEW; END $$;
CREATE FUNCTION sync_progress_finish() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.done = NEW.total THEN NEW.status := 'done'; END IF; RETURN NEW; END $$;
CREATE TRIGGER sync_preview_touch BEFORE UPDATE ON sync_preview_cache FOR EACH ROW EXECUTE FUNCTION sync_touch();
CREATE TRIGGER sync_preview_expiry BEFORE INSERT ON sync_preview_cache FOR EACH ROW EXECUTE FUNCTION sync_preview_expiry();
CREATE TRIGGER sync_progress_touch BEFORE UPDATE ON sync_progress FOR EACH ROW EXECUTE FUNCTION sync_touch();
CREATE TRIGGER sync_progress_check BEFORE INSERT OR UPDATE ON sync_progress FOR EACH ROW EXECUTE FUNCTION sync_progress_check();
CREATE TRIGGER sync_progress_finish BEFORE UPDATE ON sync_progress FOR EACH ROW EXECUTE FUNCTION sync_progress_finish();
CREATE TRIGGER sync_log_level BEFORE INSERT ON sync_activity_log FOR EACH ROW EXECUTE FUNCTION sync_log_default_level();

ALTER TABLE sync_preview_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE sync_activity_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY preview_select ON sync_preview_cache FOR SELECT USING (organization_id IN (SELECT organization_id FROM auth.users_extended WHERE id = auth.uid()));
CREATE POLICY preview_insert ON sync_preview_cache FOR INSERT WITH CHECK (created_by = auth.uid());
CREATE POLICY preview_update ON sync_preview_cache FOR UPDATE USING (created_by = auth.uid());
CREATE POLICY preview_delete ON sync_preview_cache FOR DELETE USING (created_by = auth.uid());
CREATE POLICY progress_select ON sync_progress FOR SELECT USING (organization_id IN (SELECT organization_id FROM auth.users_extended WHERE id = auth.uid()));
CREATE POLICY progress_insert ON sync_progress FOR INSERT WITH CHECK (organization_id IN (SELECT organization_id FROM auth.users_extended WHERE id = auth.uid()));
CREATE POLICY progress_update ON sync_progress FOR UPDATE USING (organization_id IN (SELECT organization_id FROM auth.users_extended WHERE id = auth.uid()));
CREATE POLICY progress_delete ON sync_progress FOR DELETE USING (false);
CREATE POLICY log_select ON sync_activity_log FOR SELECT USING (organization_id IN (SELECT organization_id FROM auth.users_extended WHERE id = auth.uid()));
CREATE POLICY log_insert ON sync_activity_log FOR INSERT WITH CHECK (auth.uid() IS NOT NULL);
CREATE POLICY log_update ON sync_activity_log FOR UPDATE USING (false);
CREATE POLICY log_delete ON sync_activity_log FOR DELETE USING (false);
