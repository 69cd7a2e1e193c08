-- Voice ID: domains, watchlists, fraudsters, speakers (CreateDomain ... ListSpeakers),
-- EvaluateSession and Connect's Check Voice ID block. Voiceprints are speaker embeddings
-- computed outside the database, stored L2-normalised as real[] of the domain's dimension.
-- Registration and enrolment jobs are in sql/voice_jobs.sql; the maths in fraud_engine::voice.

CREATE FUNCTION fraud._voice_new_id() RETURNS text
LANGUAGE sql VOLATILE AS $$ SELECT fraud._voice_derived_id(ARRAY[gen_random_uuid()::text]) $$;

CREATE FUNCTION fraud._voice_check_id(field text, value text) RETURNS void
LANGUAGE sql IMMUTABLE AS $$ SELECT fraud._check_pattern(field, value, '^[a-zA-Z0-9]{22}$', 22, 22) $$;

CREATE FUNCTION fraud._voice_check_name(field text, value text) RETURNS void
LANGUAGE sql IMMUTABLE AS $$ SELECT fraud._check_pattern(field, value, '^[a-zA-Z0-9][a-zA-Z0-9_-]*$', 1, 256) $$;

CREATE FUNCTION fraud._voice_check_description(field text, value text) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NOT NULL THEN
        PERFORM fraud._check_pattern(field, value, '^[[:alpha:][:space:][:digit:]_.:/=+%@-]*$', 1, 1024);
    END IF;
END $$;

CREATE FUNCTION fraud._voice_check_score(field text, value int) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NOT NULL AND value NOT BETWEEN 0 AND 100 THEN
        PERFORM fraud._invalid(field, value::text, '(must be 0 to 100)');
    END IF;
END $$;

CREATE FUNCTION fraud._voice_domain(domain_id text) RETURNS fraud.voice_domains
LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.voice_domains;
BEGIN
    PERFORM fraud._voice_check_id('domain_id', domain_id);
    SELECT * INTO d FROM fraud.voice_domains x WHERE x.domain_id = _voice_domain.domain_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('domain', domain_id);
    END IF;
    RETURN d;
END $$;

CREATE FUNCTION fraud._voice_watchlist(domain_id text, watchlist_id text) RETURNS fraud.voice_watchlists
LANGUAGE plpgsql STABLE AS $$
DECLARE w fraud.voice_watchlists;
BEGIN
    PERFORM fraud._voice_check_id('watchlist_id', watchlist_id);
    SELECT * INTO w FROM fraud.voice_watchlists x
        WHERE x.domain_id = _voice_watchlist.domain_id AND x.watchlist_id = _voice_watchlist.watchlist_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('watchlist', watchlist_id);
    END IF;
    RETURN w;
END $$;

CREATE FUNCTION fraud._voice_default_watchlist(domain_id text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT w.watchlist_id FROM fraud.voice_watchlists w WHERE w.domain_id = _voice_default_watchlist.domain_id AND w.default_watchlist
$$;

-- The fraudster index of a domain is keyed by fraudsters_stamp: every statement that changes a
-- domain's fraudsters or memberships gives the domain a new stamp (a sequence value, never
-- reused, so a rolled-back change can never be mistaken for a committed one). A TRUNCATE has no
-- rows to say which domains it emptied, so it gives every domain a new stamp. The triggers are
-- ENABLE ALWAYS: they fire under session_replication_role = replica too (a logical replication
-- apply worker, a restore with it set), where an ordinary trigger would not and every backend
-- would keep searching its cached copy of the old fraudsters.
--
-- Each new stamp also records, in fraud.voice_fraudster_changes, the stamp it replaced and the
-- fraudsters the statement touched: a backend whose index is at an older stamp follows that
-- chain back to its own stamp and re-reads only those fraudsters (src/voice.rs) instead of the
-- whole domain. The domain row is locked before the new stamp is drawn, so along a domain's
-- chain the stamps grow and each link names the committed stamp it replaced; the link commits
-- or rolls back with the change. A TRUNCATE, a statement touching more than 10,000 fraudsters
-- of a domain (NULL ids) or a link pruned (the latest 200 are kept per domain) breaks the
-- chain, and a backend then loads the domain in full: always exact, only slower.
CREATE FUNCTION fraud._voice_fraudsters_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE c record; old_stamp bigint; new_stamp bigint;
BEGIN
    -- a Citus worker applying the coordinator's change receives its stamps too (sql/citus.sql)
    IF fraud._cluster_applying() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE fraud.voice_domains d SET fraudsters_stamp = nextval('fraud.voice_stamps');
        RETURN NULL;
    END IF;
    FOR c IN EXECUTE format(
        'SELECT t.domain_id, array_agg(DISTINCT t.fraudster_id) AS ids FROM (%s) t GROUP BY t.domain_id ORDER BY t.domain_id',
        CASE TG_OP WHEN 'INSERT' THEN 'SELECT domain_id, fraudster_id FROM new_rows'
                   WHEN 'DELETE' THEN 'SELECT domain_id, fraudster_id FROM old_rows'
                   ELSE 'SELECT domain_id, fraudster_id FROM new_rows UNION ALL SELECT domain_id, fraudster_id FROM old_rows' END) LOOP
        -- the latest committed stamp, locked: the link's previous stamp
        SELECT d.fraudsters_stamp INTO old_stamp FROM fraud.voice_domains d WHERE d.domain_id = c.domain_id FOR UPDATE;
        CONTINUE WHEN NOT FOUND; -- the domain itself is being deleted
        new_stamp := nextval('fraud.voice_stamps');
        UPDATE fraud.voice_domains d SET fraudsters_stamp = new_stamp WHERE d.domain_id = c.domain_id;
        INSERT INTO fraud.voice_fraudster_changes (domain_id, stamp, previous_stamp, fraudster_ids)
            VALUES (c.domain_id, new_stamp, old_stamp, CASE WHEN cardinality(c.ids) <= 10000 THEN c.ids END);
        -- the chain is kept to its latest 200 links (a few index entries read per change)
        DELETE FROM fraud.voice_fraudster_changes x
            WHERE x.domain_id = c.domain_id
              AND x.stamp < (SELECT y.stamp FROM fraud.voice_fraudster_changes y WHERE y.domain_id = c.domain_id
                             ORDER BY y.stamp DESC OFFSET 199 LIMIT 1);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER stamp_insert AFTER INSERT ON fraud.voice_fraudsters REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_update AFTER UPDATE ON fraud.voice_fraudsters REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_delete AFTER DELETE ON fraud.voice_fraudsters REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_truncate AFTER TRUNCATE ON fraud.voice_fraudsters
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_insert AFTER INSERT ON fraud.voice_fraudster_watchlists REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_update AFTER UPDATE ON fraud.voice_fraudster_watchlists REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_delete AFTER DELETE ON fraud.voice_fraudster_watchlists REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
CREATE TRIGGER stamp_truncate AFTER TRUNCATE ON fraud.voice_fraudster_watchlists
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_fraudsters_changed();
ALTER TABLE fraud.voice_fraudsters ENABLE ALWAYS TRIGGER stamp_insert, ENABLE ALWAYS TRIGGER stamp_update,
    ENABLE ALWAYS TRIGGER stamp_delete, ENABLE ALWAYS TRIGGER stamp_truncate;
ALTER TABLE fraud.voice_fraudster_watchlists ENABLE ALWAYS TRIGGER stamp_insert, ENABLE ALWAYS TRIGGER stamp_update,
    ENABLE ALWAYS TRIGGER stamp_delete, ENABLE ALWAYS TRIGGER stamp_truncate;
-- before any row changes: the transaction is changing a domain, so no shared index file is
-- written from what its searches read (docs/voice-id.md, "One index per server")
CREATE TRIGGER changing BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.voice_fraudsters
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_changing();
CREATE TRIGGER changing BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.voice_fraudster_watchlists
    FOR EACH STATEMENT EXECUTE FUNCTION fraud._voice_changing();
ALTER TABLE fraud.voice_fraudsters ENABLE ALWAYS TRIGGER changing;
ALTER TABLE fraud.voice_fraudster_watchlists ENABLE ALWAYS TRIGGER changing;

-- Domains ----------------------------------------------------------------------------------

CREATE FUNCTION fraud._voice_domains(p_domain_id text)
RETURNS TABLE (domain_id text, name text, description text, domain_status text, embedding_dimension int,
               cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb,
               arn text, created_at timestamptz, updated_at timestamptz)
-- plpgsql and VOLATILE on purpose: each call sees the rows the calling statement just wrote
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT d.domain_id, d.name, d.description, d.domain_status, d.embedding_dimension, d.cos_at_50, d.cos_at_90,
           d.authentication_min_speech_seconds,
           jsonb_build_object('DefaultWatchlistId', fraud._voice_default_watchlist(d.domain_id)),
           fraud._arn('voice-domain', d.domain_id), d.created_at, d.updated_at
    FROM fraud.voice_domains d WHERE p_domain_id IS NULL OR d.domain_id = p_domain_id
    ORDER BY d.created_at, d.domain_id;
END $$;

-- CreateDomain: `embedding_dimension` fixes the length of every voiceprint of the domain (192
-- for ECAPA-TDNN, 256 for many x-vector models, ...). Creates the default watchlist.
-- Voice ID's ServerSideEncryptionConfiguration (a KMS key) has no meaning in a database.
CREATE FUNCTION fraud._voice_create_domain(p_name text, p_embedding_dimension int, p_description text,
                                           p_cos_at_50 real, p_cos_at_90 real, p_authentication_min_speech_seconds real,
                                           p_tags jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE id text := fraud._voice_new_id();
BEGIN
    PERFORM fraud._voice_check_name('name', p_name);
    PERFORM fraud._voice_check_description('description', p_description);
    PERFORM fraud._required('embedding_dimension', p_embedding_dimension);
    IF p_embedding_dimension NOT BETWEEN 1 AND 4096 THEN
        PERFORM fraud._invalid('embedding_dimension', p_embedding_dimension::text, '(must be 1 to 4096)');
    END IF;
    PERFORM fraud._voice_check_calibration(p_cos_at_50, p_cos_at_90, p_authentication_min_speech_seconds);
    INSERT INTO fraud.voice_domains (domain_id, name, description, embedding_dimension, cos_at_50, cos_at_90,
                                     authentication_min_speech_seconds)
        VALUES (id, p_name, p_description, p_embedding_dimension, p_cos_at_50, p_cos_at_90,
                p_authentication_min_speech_seconds);
    INSERT INTO fraud.voice_watchlists (domain_id, watchlist_id, name, description, default_watchlist)
        VALUES (id, fraud._voice_new_id(), 'default', 'Default watchlist', true);
    PERFORM fraud._set_tags('voice-domain', id, p_tags);
    RETURN id;
END $$;

CREATE FUNCTION fraud._voice_check_calibration(cos_at_50 real, cos_at_90 real, min_speech real) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    PERFORM fraud._required('cos_at_50', cos_at_50);
    PERFORM fraud._required('cos_at_90', cos_at_90);
    IF NOT (cos_at_50 >= -1 AND cos_at_50 < cos_at_90 AND cos_at_90 <= 1) THEN
        PERFORM fraud._invalid('cos_at_50, cos_at_90', cos_at_50 || ', ' || cos_at_90, '(need -1 <= cos_at_50 < cos_at_90 <= 1)');
    END IF;
    PERFORM fraud._required('authentication_min_speech_seconds', min_speech);
    IF min_speech NOT BETWEEN 5 AND 10 THEN
        PERFORM fraud._invalid('authentication_min_speech_seconds', min_speech::text, '(must be 5 to 10 seconds)');
    END IF;
END $$;

CREATE FUNCTION fraud_voice_create_domain(name text, embedding_dimension int, description text DEFAULT NULL,
                                          cos_at_50 real DEFAULT 0.35, cos_at_90 real DEFAULT 0.60,
                                          authentication_min_speech_seconds real DEFAULT 10, tags jsonb DEFAULT NULL)
RETURNS TABLE (domain_id text, name text, description text, domain_status text, embedding_dimension int,
               cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb,
               arn text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_domains(fraud._voice_create_domain(name, embedding_dimension, description, cos_at_50,
                                                                  cos_at_90, authentication_min_speech_seconds, tags))
$$;
COMMENT ON FUNCTION fraud_voice_create_domain(text, int, text, real, real, real, jsonb) IS 'Voice ID CreateDomain: creates a domain (embedding dimension 1 to 4096, cosine-to-score calibration, speech minimum 5 to 10 s) and its default watchlist; returns the domain row. Errors: 22023 bad name, description, dimension, calibration (-1 <= cos_at_50 < cos_at_90 <= 1).';

CREATE FUNCTION fraud_voice_describe_domain(domain_id text)
RETURNS TABLE (domain_id text, name text, description text, domain_status text, embedding_dimension int,
               cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb,
               arn text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._voice_domains((fraud._voice_domain(domain_id)).domain_id) $$;
COMMENT ON FUNCTION fraud_voice_describe_domain(text) IS 'Voice ID DescribeDomain: the domain row (watchlist_details holds DefaultWatchlistId). Errors: 22023 malformed id; 42704 unknown domain.';

CREATE FUNCTION fraud_voice_list_domains()
RETURNS TABLE (domain_id text, name text, description text, domain_status text, embedding_dimension int,
               cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb,
               arn text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._voice_domains(NULL::text) $$;
COMMENT ON FUNCTION fraud_voice_list_domains() IS 'Voice ID ListDomains: every domain as a row, oldest first.';

-- UpdateDomain: name and description are replaced (a NULL description clears it, as Voice ID);
-- calibration and speech minimum change only when given.
CREATE FUNCTION fraud._voice_update_domain(p_domain_id text, p_name text, p_description text,
                                           p_cos_at_50 real, p_cos_at_90 real, p_authentication_min_speech_seconds real)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE d fraud.voice_domains := fraud._voice_domain(p_domain_id);
BEGIN
    PERFORM fraud._voice_check_name('name', p_name);
    PERFORM fraud._voice_check_description('description', p_description);
    PERFORM fraud._voice_check_calibration(coalesce(p_cos_at_50, d.cos_at_50), coalesce(p_cos_at_90, d.cos_at_90),
                                           coalesce(p_authentication_min_speech_seconds, d.authentication_min_speech_seconds));
    UPDATE fraud.voice_domains x SET name = p_name, description = p_description,
        cos_at_50 = coalesce(p_cos_at_50, x.cos_at_50), cos_at_90 = coalesce(p_cos_at_90, x.cos_at_90),
        authentication_min_speech_seconds = coalesce(p_authentication_min_speech_seconds, x.authentication_min_speech_seconds),
        updated_at = now()
        WHERE x.domain_id = p_domain_id;
    RETURN p_domain_id;
END $$;

CREATE FUNCTION fraud_voice_update_domain(domain_id text, name text, description text DEFAULT NULL,
                                          cos_at_50 real DEFAULT NULL, cos_at_90 real DEFAULT NULL,
                                          authentication_min_speech_seconds real DEFAULT NULL)
RETURNS TABLE (domain_id text, name text, description text, domain_status text, embedding_dimension int,
               cos_at_50 real, cos_at_90 real, authentication_min_speech_seconds real, watchlist_details jsonb,
               arn text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_domains(fraud._voice_update_domain(domain_id, name, description, cos_at_50, cos_at_90,
                                                                  authentication_min_speech_seconds))
$$;
COMMENT ON FUNCTION fraud_voice_update_domain(text, text, text, real, real, real) IS 'Voice ID UpdateDomain: replaces name and description (NULL description clears it); calibration and speech minimum change only when given; the dimension cannot change. Returns the domain row. Errors: 22023; 42704 unknown domain.';

-- DeleteDomain removes everything in it: watchlists, fraudsters, speakers, sessions, jobs.
CREATE FUNCTION fraud_voice_delete_domain(domain_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    IF EXISTS (SELECT 1 FROM fraud.jobs j WHERE j.domain_id = fraud_voice_delete_domain.domain_id
                                            AND j.status IN ('SUBMITTED', 'IN_PROGRESS')) THEN
        PERFORM fraud._conflict(format('domain %s has a job in progress', quote_literal(domain_id)));
    END IF;
    DELETE FROM fraud.voice_domains x WHERE x.domain_id = fraud_voice_delete_domain.domain_id;
    PERFORM fraud._drop_tags('voice-domain', domain_id);
END $$;
COMMENT ON FUNCTION fraud_voice_delete_domain(text) IS 'Voice ID DeleteDomain: deletes the domain with its watchlists, fraudsters, speakers, sessions, jobs and tags. Errors: 42704 unknown domain; 55006 one of its jobs is running.';

-- Watchlists -------------------------------------------------------------------------------

CREATE FUNCTION fraud._voice_watchlists(p_domain_id text, p_watchlist_id text)
RETURNS TABLE (watchlist_id text, domain_id text, name text, description text, default_watchlist boolean,
               created_at timestamptz, updated_at timestamptz)
-- plpgsql and VOLATILE on purpose: each call sees the rows the calling statement just wrote
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT w.watchlist_id, w.domain_id, w.name, w.description, w.default_watchlist, w.created_at, w.updated_at
    FROM fraud.voice_watchlists w
    WHERE w.domain_id = p_domain_id AND (p_watchlist_id IS NULL OR w.watchlist_id = p_watchlist_id)
    ORDER BY NOT w.default_watchlist, w.created_at, w.name;
END $$;

CREATE FUNCTION fraud._voice_create_watchlist(p_domain_id text, p_name text, p_description text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE id text := fraud._voice_new_id();
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    PERFORM fraud._voice_check_name('name', p_name);
    PERFORM fraud._voice_check_description('description', p_description);
    INSERT INTO fraud.voice_watchlists (domain_id, watchlist_id, name, description)
        VALUES (p_domain_id, id, p_name, p_description)
        ON CONFLICT (domain_id, name) DO NOTHING;
    IF NOT FOUND THEN
        PERFORM fraud._duplicate('watchlist', p_name);
    END IF;
    RETURN id;
END $$;

CREATE FUNCTION fraud_voice_create_watchlist(domain_id text, name text, description text DEFAULT NULL)
RETURNS TABLE (watchlist_id text, domain_id text, name text, description text, default_watchlist boolean,
               created_at timestamptz, updated_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_create_watchlist(domain_id, name, description))
$$;
COMMENT ON FUNCTION fraud_voice_create_watchlist(text, text, text) IS 'Voice ID CreateWatchlist: creates a watchlist in the domain; returns its row. Errors: 22023 bad name or description; 42704 unknown domain; 23505 a watchlist of that name exists in the domain.';

CREATE FUNCTION fraud._voice_describe_watchlist(p_domain_id text, p_watchlist_id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    PERFORM fraud._voice_watchlist(p_domain_id, p_watchlist_id);
    RETURN p_watchlist_id;
END $$;

CREATE FUNCTION fraud_voice_describe_watchlist(domain_id text, watchlist_id text)
RETURNS TABLE (watchlist_id text, domain_id text, name text, description text, default_watchlist boolean,
               created_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_describe_watchlist(domain_id, watchlist_id))
$$;
COMMENT ON FUNCTION fraud_voice_describe_watchlist(text, text) IS 'Voice ID DescribeWatchlist: the watchlist row. Errors: 22023 malformed id; 42704 unknown domain or watchlist.';

CREATE FUNCTION fraud_voice_list_watchlists(domain_id text)
RETURNS TABLE (watchlist_id text, domain_id text, name text, description text, default_watchlist boolean,
               created_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._voice_watchlists((fraud._voice_domain(domain_id)).domain_id, NULL::text)
$$;
COMMENT ON FUNCTION fraud_voice_list_watchlists(text) IS 'Voice ID ListWatchlists: the domain''s watchlists as rows, the default one first. Errors: 42704 unknown domain.';

-- UpdateWatchlist: given fields change; the default watchlist cannot be changed.
CREATE FUNCTION fraud._voice_update_watchlist(p_domain_id text, p_watchlist_id text, p_name text, p_description text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE w fraud.voice_watchlists;
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    w := fraud._voice_watchlist(p_domain_id, p_watchlist_id);
    IF w.default_watchlist THEN
        PERFORM fraud._conflict(format('watchlist %s is the domain''s default watchlist and cannot be changed', quote_literal(p_watchlist_id)));
    END IF;
    IF p_name IS NOT NULL THEN
        PERFORM fraud._voice_check_name('name', p_name);
        IF EXISTS (SELECT 1 FROM fraud.voice_watchlists x WHERE x.domain_id = p_domain_id AND x.name = p_name
                                                            AND x.watchlist_id <> p_watchlist_id) THEN
            PERFORM fraud._duplicate('watchlist', p_name);
        END IF;
    END IF;
    PERFORM fraud._voice_check_description('description', p_description);
    UPDATE fraud.voice_watchlists x SET name = coalesce(p_name, x.name), description = coalesce(p_description, x.description),
                                        updated_at = now()
        WHERE x.watchlist_id = p_watchlist_id;
    RETURN p_watchlist_id;
END $$;

CREATE FUNCTION fraud_voice_update_watchlist(domain_id text, watchlist_id text, name text DEFAULT NULL,
                                             description text DEFAULT NULL)
RETURNS TABLE (watchlist_id text, domain_id text, name text, description text, default_watchlist boolean,
               created_at timestamptz, updated_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_watchlists(domain_id, fraud._voice_update_watchlist(domain_id, watchlist_id, name, description))
$$;
COMMENT ON FUNCTION fraud_voice_update_watchlist(text, text, text, text) IS 'Voice ID UpdateWatchlist: changes the given name and/or description; returns the watchlist row. Errors: 55006 the default watchlist; 23505 the new name is taken; 22023; 42704 unknown domain or watchlist.';

-- DeleteWatchlist: not the default one, and only when empty (CANNOT_DELETE_NON_EMPTY_WATCHLIST).
CREATE FUNCTION fraud_voice_delete_watchlist(domain_id text, watchlist_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE w fraud.voice_watchlists;
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    w := fraud._voice_watchlist(domain_id, watchlist_id);
    IF w.default_watchlist THEN
        PERFORM fraud._conflict(format('watchlist %s is the domain''s default watchlist and cannot be deleted', quote_literal(watchlist_id)));
    END IF;
    IF EXISTS (SELECT 1 FROM fraud.voice_fraudster_watchlists m WHERE m.watchlist_id = fraud_voice_delete_watchlist.watchlist_id) THEN
        PERFORM fraud._conflict(format('watchlist %s is not empty (CANNOT_DELETE_NON_EMPTY_WATCHLIST)', quote_literal(watchlist_id)));
    END IF;
    DELETE FROM fraud.voice_watchlists x WHERE x.watchlist_id = fraud_voice_delete_watchlist.watchlist_id;
END $$;
COMMENT ON FUNCTION fraud_voice_delete_watchlist(text, text) IS 'Voice ID DeleteWatchlist: deletes an empty, non-default watchlist. Errors: 55006 the default watchlist or a non-empty one (CANNOT_DELETE_NON_EMPTY_WATCHLIST); 42704 unknown domain or watchlist.';

-- Fraudsters -------------------------------------------------------------------------------

CREATE FUNCTION fraud._voice_fraudsters(p_domain_id text, p_fraudster_id text, p_watchlist_id text)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
-- plpgsql and VOLATILE on purpose: each call sees the rows the calling statement just wrote
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT f.fraudster_id, f.domain_id,
           array(SELECT m.watchlist_id FROM fraud.voice_fraudster_watchlists m WHERE m.fraudster_id = f.fraudster_id ORDER BY 1),
           f.created_at
    FROM fraud.voice_fraudsters f
    WHERE f.domain_id = p_domain_id AND (p_fraudster_id IS NULL OR f.fraudster_id = p_fraudster_id)
      AND (p_watchlist_id IS NULL OR EXISTS (SELECT 1 FROM fraud.voice_fraudster_watchlists m
                                             WHERE m.fraudster_id = f.fraudster_id AND m.watchlist_id = p_watchlist_id))
    ORDER BY f.created_at, f.fraudster_id;
END $$;

CREATE FUNCTION fraud._voice_fraudster(p_domain_id text, p_fraudster_id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    PERFORM fraud._check_pattern('fraudster_id', p_fraudster_id, '^id#[a-zA-Z0-9]{22}$', 25, 25);
    IF NOT EXISTS (SELECT 1 FROM fraud.voice_fraudsters f WHERE f.domain_id = p_domain_id AND f.fraudster_id = p_fraudster_id) THEN
        PERFORM fraud._not_found('fraudster', p_fraudster_id);
    END IF;
    RETURN p_fraudster_id;
END $$;

CREATE FUNCTION fraud_voice_describe_fraudster(domain_id text, fraudster_id text)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_fraudster(domain_id, fraudster_id), NULL::text)
$$;
COMMENT ON FUNCTION fraud_voice_describe_fraudster(text, text) IS 'Voice ID DescribeFraudster: the fraudster row (generated_fraudster_id, domain_id, watchlist_ids, created_at). Errors: 22023 malformed id; 42704 unknown domain or fraudster.';

CREATE FUNCTION fraud._voice_list_fraudsters(p_domain_id text, p_watchlist_id text)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    IF p_watchlist_id IS NOT NULL THEN
        PERFORM fraud._voice_watchlist(p_domain_id, p_watchlist_id);
    END IF;
    RETURN QUERY SELECT * FROM fraud._voice_fraudsters(p_domain_id, NULL::text, p_watchlist_id);
END $$;

CREATE FUNCTION fraud_voice_list_fraudsters(domain_id text, watchlist_id text DEFAULT NULL)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._voice_list_fraudsters(domain_id, watchlist_id) $$;
COMMENT ON FUNCTION fraud_voice_list_fraudsters(text, text) IS 'Voice ID ListFraudsters: the domain''s fraudsters, or one watchlist''s, oldest first. Fraudsters are created by registration jobs. Errors: 42704 unknown domain or watchlist.';

CREATE FUNCTION fraud._voice_associate_fraudster(p_domain_id text, p_fraudster_id text, p_watchlist_id text)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._voice_fraudster(p_domain_id, p_fraudster_id);
    PERFORM fraud._voice_watchlist(p_domain_id, p_watchlist_id);
    INSERT INTO fraud.voice_fraudster_watchlists (domain_id, fraudster_id, watchlist_id)
        VALUES (p_domain_id, p_fraudster_id, p_watchlist_id) ON CONFLICT DO NOTHING;
    RETURN p_fraudster_id;
END $$;

CREATE FUNCTION fraud_voice_associate_fraudster(domain_id text, fraudster_id text, watchlist_id text)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_associate_fraudster(domain_id, fraudster_id, watchlist_id), NULL::text)
$$;
COMMENT ON FUNCTION fraud_voice_associate_fraudster(text, text, text) IS 'Voice ID AssociateFraudster: adds the fraudster to a watchlist of its domain (already there is fine); returns the fraudster row. Errors: 22023 malformed id; 42704 unknown domain, fraudster or watchlist.';

-- A fraudster always belongs to at least one watchlist.
CREATE FUNCTION fraud._voice_disassociate_fraudster(p_domain_id text, p_fraudster_id text, p_watchlist_id text)
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._voice_fraudster(p_domain_id, p_fraudster_id);
    PERFORM fraud._voice_watchlist(p_domain_id, p_watchlist_id);
    PERFORM 1 FROM fraud.voice_fraudsters f WHERE f.fraudster_id = p_fraudster_id FOR UPDATE;
    IF NOT EXISTS (SELECT 1 FROM fraud.voice_fraudster_watchlists m
                   WHERE m.fraudster_id = p_fraudster_id AND m.watchlist_id = p_watchlist_id) THEN
        PERFORM fraud._not_found('fraudster in watchlist', p_fraudster_id || ' / ' || p_watchlist_id);
    END IF;
    IF (SELECT count(*) FROM fraud.voice_fraudster_watchlists m WHERE m.fraudster_id = p_fraudster_id) = 1 THEN
        PERFORM fraud._conflict(format('fraudster %s must belong to at least one watchlist (FRAUDSTER_MUST_BELONG_TO_AT_LEAST_ONE_WATCHLIST)',
                                       quote_literal(p_fraudster_id)));
    END IF;
    DELETE FROM fraud.voice_fraudster_watchlists m WHERE m.fraudster_id = p_fraudster_id AND m.watchlist_id = p_watchlist_id;
    RETURN p_fraudster_id;
END $$;

CREATE FUNCTION fraud_voice_disassociate_fraudster(domain_id text, fraudster_id text, watchlist_id text)
RETURNS TABLE (generated_fraudster_id text, domain_id text, watchlist_ids text[], created_at timestamptz)
LANGUAGE sql AS $$
    SELECT * FROM fraud._voice_fraudsters(domain_id, fraud._voice_disassociate_fraudster(domain_id, fraudster_id, watchlist_id), NULL::text)
$$;
COMMENT ON FUNCTION fraud_voice_disassociate_fraudster(text, text, text) IS 'Voice ID DisassociateFraudster: removes the fraudster from a watchlist; returns the fraudster row. Errors: 55006 its last watchlist (FRAUDSTER_MUST_BELONG_TO_AT_LEAST_ONE_WATCHLIST); 42704 not in that watchlist, or unknown domain, fraudster or watchlist.';

CREATE FUNCTION fraud_voice_delete_fraudster(domain_id text, fraudster_id text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fraud._voice_fraudster(domain_id, fraudster_id);
    DELETE FROM fraud.voice_fraudsters f WHERE f.fraudster_id = fraud_voice_delete_fraudster.fraudster_id;
END $$;
COMMENT ON FUNCTION fraud_voice_delete_fraudster(text, text) IS 'Voice ID DeleteFraudster: deletes the fraudster with its voiceprint and watchlist memberships. Errors: 22023 malformed id; 42704 unknown domain or fraudster.';

-- Speakers ---------------------------------------------------------------------------------

CREATE FUNCTION fraud._voice_speakers(p_domain_id text, p_generated_speaker_id text)
RETURNS TABLE (domain_id text, customer_speaker_id text, generated_speaker_id text, status text,
               created_at timestamptz, updated_at timestamptz, last_accessed_at timestamptz)
-- plpgsql and VOLATILE on purpose: each call sees the rows the calling statement just wrote
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT s.domain_id, s.customer_speaker_id, s.generated_speaker_id, s.status, s.created_at, s.updated_at,
           s.last_accessed_at
    FROM fraud.voice_speakers s
    WHERE s.domain_id = p_domain_id AND (p_generated_speaker_id IS NULL OR s.generated_speaker_id = p_generated_speaker_id)
    ORDER BY s.created_at, s.customer_speaker_id;
END $$;

-- A speaker by the caller's id or the generated 'id#...' one; NULL when unknown.
CREATE FUNCTION fraud._voice_speaker_lookup(p_domain_id text, p_speaker_id text) RETURNS fraud.voice_speakers
LANGUAGE plpgsql STABLE AS $$
DECLARE s fraud.voice_speakers;
BEGIN
    PERFORM fraud._check_pattern('speaker_id', p_speaker_id, '^(id#[a-zA-Z0-9]{22}|[a-zA-Z0-9][a-zA-Z0-9_-]*)$', 1, 256);
    SELECT * INTO s FROM fraud.voice_speakers x
        WHERE x.domain_id = p_domain_id AND (x.customer_speaker_id = p_speaker_id OR x.generated_speaker_id = p_speaker_id);
    RETURN s;
END $$;

CREATE FUNCTION fraud._voice_speaker(p_domain_id text, p_speaker_id text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE s fraud.voice_speakers;
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    s := fraud._voice_speaker_lookup(p_domain_id, p_speaker_id);
    IF s.generated_speaker_id IS NULL THEN
        PERFORM fraud._not_found('speaker', p_speaker_id);
    END IF;
    RETURN s.generated_speaker_id;
END $$;

CREATE FUNCTION fraud_voice_describe_speaker(domain_id text, speaker_id text)
RETURNS TABLE (domain_id text, customer_speaker_id text, generated_speaker_id text, status text,
               created_at timestamptz, updated_at timestamptz, last_accessed_at timestamptz)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._voice_speakers(domain_id, fraud._voice_speaker(domain_id, speaker_id)) $$;
COMMENT ON FUNCTION fraud_voice_describe_speaker(text, text) IS 'Voice ID DescribeSpeaker: the speaker row; speaker_id is the customer''s id or the generated id#... one. Errors: 22023 malformed id; 42704 unknown domain or speaker.';

CREATE FUNCTION fraud_voice_list_speakers(domain_id text)
RETURNS TABLE (domain_id text, customer_speaker_id text, generated_speaker_id text, status text,
               created_at timestamptz, updated_at timestamptz, last_accessed_at timestamptz)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._voice_speakers((fraud._voice_domain(domain_id)).domain_id, NULL::text) $$;
COMMENT ON FUNCTION fraud_voice_list_speakers(text) IS 'Voice ID ListSpeakers: the domain''s speakers as rows (status ENROLLED, OPTED_OUT, EXPIRED or PENDING), oldest first. Errors: 42704 unknown domain.';

CREATE FUNCTION fraud_voice_delete_speaker(domain_id text, speaker_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE s fraud.voice_speakers;
BEGIN
    PERFORM fraud._voice_domain(domain_id);
    s := fraud._voice_speaker_lookup(domain_id, speaker_id);
    IF s.generated_speaker_id IS NULL THEN
        RAISE NOTICE 'speaker % does not exist, skipping', quote_literal(speaker_id);
        RETURN;
    END IF;
    DELETE FROM fraud.voice_speakers x WHERE x.generated_speaker_id = s.generated_speaker_id;
END $$;
COMMENT ON FUNCTION fraud_voice_delete_speaker(text, text) IS 'Voice ID DeleteSpeaker: deletes the speaker (by customer or generated id) with its voiceprint; a missing speaker is a NOTICE. Errors: 22023 malformed id; 42704 unknown domain.';

-- OptOutSpeaker: the voiceprint is removed and the speaker can no longer be enrolled or
-- authenticated; a speaker not seen before is recorded as opted out (as Voice ID does).
CREATE FUNCTION fraud._voice_opt_out_speaker(p_domain_id text, p_speaker_id text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE s fraud.voice_speakers; id text;
BEGIN
    PERFORM fraud._voice_domain(p_domain_id);
    s := fraud._voice_speaker_lookup(p_domain_id, p_speaker_id);
    IF s.generated_speaker_id IS NULL THEN
        IF p_speaker_id LIKE 'id#%' THEN
            PERFORM fraud._not_found('speaker', p_speaker_id);
        END IF;
        id := 'id#' || fraud._voice_new_id();
        INSERT INTO fraud.voice_speakers (domain_id, generated_speaker_id, customer_speaker_id, status)
            VALUES (p_domain_id, id, p_speaker_id, 'OPTED_OUT');
        RETURN id;
    END IF;
    UPDATE fraud.voice_speakers x SET status = 'OPTED_OUT', embedding = NULL, speech_seconds = NULL, updated_at = now()
        WHERE x.generated_speaker_id = s.generated_speaker_id;
    RETURN s.generated_speaker_id;
END $$;

CREATE FUNCTION fraud_voice_opt_out_speaker(domain_id text, speaker_id text)
RETURNS TABLE (domain_id text, customer_speaker_id text, generated_speaker_id text, status text,
               created_at timestamptz, updated_at timestamptz, last_accessed_at timestamptz)
LANGUAGE sql AS $$ SELECT * FROM fraud._voice_speakers(domain_id, fraud._voice_opt_out_speaker(domain_id, speaker_id)) $$;
COMMENT ON FUNCTION fraud_voice_opt_out_speaker(text, text) IS 'Voice ID OptOutSpeaker: makes the speaker OPTED_OUT and removes its voiceprint; an unknown customer speaker id is recorded as opted out. Returns the speaker row. Errors: 42704 unknown domain, or an unknown id#... speaker.';

-- EvaluateSession ----------------------------------------------------------------------------

-- Evaluates one call: `embedding` and `speech_seconds` describe the caller's voice so far.
-- AuthenticationResult compares it with the enrolled voiceprint of `speaker_id`;
-- FraudDetectionResult with the closest fraudster of `watchlist_id` (the default watchlist when
-- NULL) and with `voice_spoofing_risk`, the 0-100 score of the caller's own anti-spoofing model
-- (0 when NULL). Against a watchlist of more than 500 voices the closest fraudster's cosine is
-- normalised for the watchlist's size before it is scored (docs/voice-id.md, "Large
-- watchlists"); authentication is not. The result ids are derived from every input and from
-- the state they were compared with, so asking again with the same inputs returns the same ids
-- (Voice ID's cached results), and anything that changes the answer changes them.
CREATE FUNCTION fraud_voice_evaluate_session(
    domain_id text, session_name_or_id text, embedding real[], speech_seconds real,
    speaker_id text DEFAULT NULL, watchlist_id text DEFAULT NULL, authentication_threshold int DEFAULT 90,
    fraud_risk_threshold int DEFAULT 50, voice_spoofing_risk int DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
    d fraud.voice_domains; sess fraud.voice_sessions; s fraud.voice_speakers; v real[]; enough boolean;
    w text; auth_score int; auth_decision text; known_id text; known_cos real; known_score int := 0;
    fraud jsonb; inputs text[]; auth jsonb; fraud_result jsonb;
BEGIN
    d := fraud._voice_domain(domain_id);
    PERFORM fraud._check_pattern('session_name_or_id', session_name_or_id, '^(id#[a-zA-Z0-9]{22}|[a-zA-Z0-9][a-zA-Z0-9_-]*)$', 1, 36);
    v := fraud._voice_normalize('embedding', embedding, d.embedding_dimension);
    PERFORM fraud._required('speech_seconds', speech_seconds);
    IF NOT (speech_seconds >= 0 AND speech_seconds < 'Infinity') THEN
        PERFORM fraud._invalid('speech_seconds', speech_seconds::text, '(must be a number of seconds >= 0)');
    END IF;
    PERFORM fraud._required('authentication_threshold', authentication_threshold);
    PERFORM fraud._required('fraud_risk_threshold', fraud_risk_threshold);
    PERFORM fraud._voice_check_score('authentication_threshold', authentication_threshold);
    PERFORM fraud._voice_check_score('fraud_risk_threshold', fraud_risk_threshold);
    PERFORM fraud._voice_check_score('voice_spoofing_risk', voice_spoofing_risk);
    w := coalesce(watchlist_id, fraud._voice_default_watchlist(d.domain_id));
    PERFORM fraud._voice_watchlist(d.domain_id, w);

    -- the session: by name (recorded on first use) or by the id an earlier evaluation returned
    IF session_name_or_id LIKE 'id#%' THEN
        SELECT * INTO sess FROM fraud.voice_sessions x WHERE x.domain_id = d.domain_id AND x.session_id = session_name_or_id;
        IF NOT FOUND THEN
            PERFORM fraud._not_found('session', session_name_or_id);
        END IF;
    ELSE
        INSERT INTO fraud.voice_sessions (domain_id, session_id, session_name)
            VALUES (d.domain_id, 'id#' || fraud._voice_derived_id(ARRAY[d.domain_id, session_name_or_id]), session_name_or_id)
            ON CONFLICT ON CONSTRAINT voice_sessions_domain_id_session_name_key DO NOTHING;
        SELECT * INTO sess FROM fraud.voice_sessions x WHERE x.domain_id = d.domain_id AND x.session_name = session_name_or_id;
    END IF;

    enough := speech_seconds >= d.authentication_min_speech_seconds;
    IF speaker_id IS NOT NULL THEN
        s := fraud._voice_speaker_lookup(d.domain_id, speaker_id);
    END IF;
    IF s.status = 'ENROLLED' AND enough THEN
        auth_score := fraud._voice_score(v, s.embedding, d.cos_at_50, d.cos_at_90);
    END IF;
    auth_decision := fraud._voice_authentication_decision(speaker_id IS NOT NULL, s.status, enough, auth_score,
                                                          authentication_threshold);
    IF auth_decision IN ('ACCEPT', 'REJECT') THEN
        UPDATE fraud.voice_speakers x SET last_accessed_at = now() WHERE x.generated_speaker_id = s.generated_speaker_id;
    END IF;

    IF enough THEN
        -- the cosine normalised for the watchlist's size (docs/voice-id.md, "Large watchlists")
        SELECT n.fraudster_id, n.normalized_cosine INTO known_id, known_cos
            FROM fraud._voice_nearest_normalized(d.domain_id, v, w, d.cos_at_50) n;
        IF known_id IS NOT NULL THEN
            known_score := fraud._voice_calibrate(known_cos, d.cos_at_50, d.cos_at_90);
        END IF;
    END IF;
    fraud := fraud._voice_fraud_decision(enough, known_score, coalesce(voice_spoofing_risk, 0), fraud_risk_threshold);

    inputs := ARRAY[d.domain_id, sess.session_id, v::text, speech_seconds::text, coalesce(speaker_id, ''),
                    authentication_threshold::text, fraud_risk_threshold::text, w, coalesce(voice_spoofing_risk::text, ''),
                    d.fraudsters_stamp::text, d.updated_at::text, coalesce(s.updated_at::text, '')];
    auth := jsonb_strip_nulls(jsonb_build_object(
        'AuthenticationResultId', fraud._voice_derived_id(inputs || 'authentication'::text),
        'Configuration', jsonb_build_object('AcceptanceThreshold', authentication_threshold),
        'CustomerSpeakerId', s.customer_speaker_id,
        'GeneratedSpeakerId', s.generated_speaker_id,
        'Decision', auth_decision,
        'Score', CASE WHEN auth_decision IN ('ACCEPT', 'REJECT') THEN auth_score END));
    fraud_result := jsonb_build_object(
        'FraudDetectionResultId', fraud._voice_derived_id(inputs || 'fraud'::text),
        'Configuration', jsonb_build_object('RiskThreshold', fraud_risk_threshold, 'WatchlistId', w),
        'Decision', fraud->'Decision',
        'Reasons', fraud->'Reasons')
        || CASE WHEN enough THEN jsonb_build_object('RiskDetails', jsonb_build_object(
               'KnownFraudsterRisk', jsonb_strip_nulls(jsonb_build_object('GeneratedFraudsterId', known_id, 'RiskScore', known_score)),
               'VoiceSpoofingRisk', jsonb_build_object('RiskScore', coalesce(voice_spoofing_risk, 0))))
           ELSE '{}' END;
    RETURN jsonb_build_object('DomainId', d.domain_id, 'SessionId', sess.session_id, 'SessionName', sess.session_name,
                              'StreamingStatus', 'ENDED', 'AuthenticationResult', auth,
                              'FraudDetectionResult', fraud_result);
END $$;
COMMENT ON FUNCTION fraud_voice_evaluate_session(text, text, real[], real, text, text, int, int, int) IS 'Voice ID EvaluateSession: authenticates the caller''s embedding against speaker_id''s voiceprint and checks it against a watchlist (default when NULL; the closest fraudster''s score normalised for watchlists of more than 500 voices); returns Voice ID''s jsonb result and records the session. Errors: 22023 bad embedding, speech or 0-100 value; 42704 unknown ids.';

-- Connect's Check Voice ID block: the branch a contact flow takes for an EvaluateSession result.
CREATE FUNCTION fraud_check_voice_id(result jsonb, option text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE auth text := result->'AuthenticationResult'->>'Decision';
        fraud text := result->'FraudDetectionResult'->>'Decision';
BEGIN
    PERFORM fraud._check_enum('option', option, ARRAY['enrollmentStatus', 'voiceAuthentication', 'fraudDetection']);
    CASE option
    WHEN 'enrollmentStatus' THEN
        RETURN CASE WHEN auth IN ('ACCEPT', 'REJECT', 'NOT_ENOUGH_SPEECH') THEN 'Enrolled'
                    WHEN auth IN ('SPEAKER_NOT_ENROLLED', 'SPEAKER_EXPIRED') THEN 'Not enrolled'
                    WHEN auth = 'SPEAKER_OPTED_OUT' THEN 'Opted out'
                    ELSE 'Error' END;
    WHEN 'voiceAuthentication' THEN
        RETURN CASE auth WHEN 'ACCEPT' THEN 'Authenticated' WHEN 'REJECT' THEN 'Not authenticated'
                         WHEN 'NOT_ENOUGH_SPEECH' THEN 'Inconclusive'
                         WHEN 'SPEAKER_NOT_ENROLLED' THEN 'Not enrolled' WHEN 'SPEAKER_EXPIRED' THEN 'Not enrolled'
                         WHEN 'SPEAKER_OPTED_OUT' THEN 'Opted out'
                         ELSE 'Error' END;
    ELSE
        RETURN CASE fraud WHEN 'HIGH_RISK' THEN 'High risk' WHEN 'LOW_RISK' THEN 'Low risk'
                          WHEN 'NOT_ENOUGH_SPEECH' THEN 'Inconclusive' ELSE 'Error' END;
    END CASE;
END $$;
COMMENT ON FUNCTION fraud_check_voice_id(jsonb, text) IS 'Amazon Connect''s Check Voice ID block: the branch (e.g. Authenticated, Not enrolled, High risk) an EvaluateSession result takes for option enrollmentStatus, voiceAuthentication or fraudDetection. Errors: 22023 unknown option.';
