-- Who may do what (docs/security.md). Runs last in the install script, and again at the end of
-- every upgrade script (after its CREATE OR REPLACE FUNCTIONs, which reset a function's
-- properties): `SELECT fraud._secure_api();`.
--
-- The model in one paragraph: the catalog tables belong to the extension's owner and nobody
-- else gets any privilege on them. Nothing is granted to PUBLIC. A role is given a capability
-- (scoring, reading, managing, jobs, voice_evaluation, voice_management) with
-- fraud_grant(capability, role), which grants EXECUTE on exactly that capability's functions;
-- EXECUTE is the only privilege that matters. The management functions run as the owner
-- (SECURITY DEFINER, search_path pinned to pg_catalog, pg_temp); the scoring functions run as
-- the caller and read the catalog as the owner (src/security.rs); jobs run with their creator's
-- rights.

-- Every capability and the functions it grants, by name (every overload of a name). Names
-- without a schema are the public API (the extension's schema); `fraud.` names are the
-- implementations behind public wrappers that run as their caller (see fraud._secure_api).
CREATE FUNCTION fraud._capabilities() RETURNS TABLE (capability text, function_name text)
LANGUAGE sql IMMUTABLE AS $$
    SELECT c, f FROM (VALUES
    ('scoring', 'fraud_predict'), ('scoring', 'fraud_outcomes'), ('scoring', 'fraud_score_trigger'),
    ('scoring', 'fraud_get_event_prediction'), ('scoring', 'fraud_send_event'),

    ('reading', 'fraud_explain'), ('reading', 'fraud_get_detectors'), ('reading', 'fraud_describe_detector'),
    ('reading', 'fraud_get_detector_version'), ('reading', 'fraud_get_rules'), ('reading', 'fraud_get_variables'),
    ('reading', 'fraud_batch_get_variable'), ('reading', 'fraud_get_event_types'), ('reading', 'fraud_get_entity_types'),
    ('reading', 'fraud_get_labels'), ('reading', 'fraud_get_outcomes'), ('reading', 'fraud_get_lists_metadata'),
    ('reading', 'fraud_get_list_elements'), ('reading', 'fraud_list_tags_for_resource'), ('reading', 'fraud_get_event'),
    ('reading', 'fraud_get_event_prediction_metadata'), ('reading', 'fraud_list_event_predictions'),
    ('reading', 'fraud_get_aggregate_variables'), ('reading', 'fraud_backtest'), ('reading', 'fraud_backtest_events'),
    ('reading', 'fraud_rule_stats'), ('reading', 'fraud_get_models'), ('reading', 'fraud_get_model_version'),
    ('reading', 'fraud_describe_model_versions'), ('reading', 'fraud_get_external_models'),

    ('managing', 'fraud_put_detector'), ('managing', 'fraud_delete_detector'),
    ('managing', 'fraud_create_detector_version'), ('managing', 'fraud_update_detector_version'),
    ('managing', 'fraud_update_detector_version_metadata'), ('managing', 'fraud_update_detector_version_status'),
    ('managing', 'fraud_delete_detector_version'), ('managing', 'fraud_update_detector_version_shadow'),
    ('managing', 'fraud_create_rule'),
    ('managing', 'fraud_update_rule_metadata'), ('managing', 'fraud_update_rule_version'), ('managing', 'fraud_delete_rule'),
    ('managing', 'fraud_create_variable'), ('managing', 'fraud_batch_create_variable'), ('managing', 'fraud_update_variable'),
    ('managing', 'fraud_delete_variable'), ('managing', 'fraud_put_event_type'), ('managing', 'fraud_delete_event_type'),
    ('managing', 'fraud_put_entity_type'), ('managing', 'fraud_delete_entity_type'), ('managing', 'fraud_put_label'),
    ('managing', 'fraud_delete_label'), ('managing', 'fraud_put_outcome'), ('managing', 'fraud_delete_outcome'),
    ('managing', 'fraud_create_list'), ('managing', 'fraud_update_list'), ('managing', 'fraud_delete_list'),
    ('managing', 'fraud_tag_resource'), ('managing', 'fraud_untag_resource'), ('managing', 'fraud_update_event_label'),
    ('managing', 'fraud_delete_event'),
    ('managing', 'fraud_create_aggregate_variable'), ('managing', 'fraud_delete_aggregate_variable'),
    ('managing', 'fraud_rebuild_event_keys'), ('managing', 'fraud_create_model'), ('managing', 'fraud_update_model'),
    ('managing', 'fraud_delete_model'), ('managing', 'fraud_update_model_version_status'),
    ('managing', 'fraud_delete_model_version'), ('managing', 'fraud_put_external_model'),
    ('managing', 'fraud._put_external_model'), ('managing', 'fraud_delete_external_model'),
    ('managing', 'fraud._caller_token'),

    ('jobs', 'fraud_create_batch_import_job'), ('jobs', 'fraud_get_batch_import_jobs'),
    ('jobs', 'fraud_get_batch_import_job_errors'), ('jobs', 'fraud_cancel_batch_import_job'),
    ('jobs', 'fraud_delete_batch_import_job'), ('jobs', 'fraud_create_batch_prediction_job'),
    ('jobs', 'fraud_get_batch_prediction_jobs'), ('jobs', 'fraud_cancel_batch_prediction_job'),
    ('jobs', 'fraud_delete_batch_prediction_job'), ('jobs', 'fraud_delete_events_by_event_type'),
    ('jobs', 'fraud_get_delete_events_by_event_type_status'),
    ('jobs', 'fraud._caller_token'), ('jobs', 'fraud._create_batch_import_job'), ('jobs', 'fraud._get_batch_import_jobs'),
    ('jobs', 'fraud._get_batch_import_job_errors'), ('jobs', 'fraud._job_cancel'), ('jobs', 'fraud._job_delete'),
    ('jobs', 'fraud._create_batch_prediction_job'), ('jobs', 'fraud._get_batch_prediction_jobs'),
    ('jobs', 'fraud._delete_events_by_event_type'),
    ('jobs', 'fraud_create_backtest_job'), ('jobs', 'fraud_get_backtest_jobs'), ('jobs', 'fraud_cancel_backtest_job'),
    ('jobs', 'fraud_delete_backtest_job'), ('jobs', 'fraud._create_backtest_job'), ('jobs', 'fraud._get_backtest_jobs'),
    -- training a model version is a job that reads stored events (or the caller's input)
    ('jobs', 'fraud_create_model_version'), ('jobs', 'fraud_update_model_version'),
    ('jobs', 'fraud._create_model_version'), ('jobs', 'fraud._update_model_version'),
    -- a batch prediction's worker scores as the job's owner
    ('jobs', 'fraud._score'), ('jobs', 'fraud._score_historical'), ('jobs', 'fraud._event_error'),

    ('voice_evaluation', 'fraud_voice_evaluate_session'), ('voice_evaluation', 'fraud_check_voice_id'),

    ('voice_management', 'fraud_voice_create_domain'), ('voice_management', 'fraud_voice_describe_domain'),
    ('voice_management', 'fraud_voice_list_domains'), ('voice_management', 'fraud_voice_update_domain'),
    ('voice_management', 'fraud_voice_delete_domain'), ('voice_management', 'fraud_voice_create_watchlist'),
    ('voice_management', 'fraud_voice_describe_watchlist'), ('voice_management', 'fraud_voice_list_watchlists'),
    ('voice_management', 'fraud_voice_update_watchlist'), ('voice_management', 'fraud_voice_delete_watchlist'),
    ('voice_management', 'fraud_voice_associate_fraudster'), ('voice_management', 'fraud_voice_disassociate_fraudster'),
    ('voice_management', 'fraud_voice_describe_fraudster'), ('voice_management', 'fraud_voice_list_fraudsters'),
    ('voice_management', 'fraud_voice_delete_fraudster'), ('voice_management', 'fraud_voice_describe_speaker'),
    ('voice_management', 'fraud_voice_list_speakers'), ('voice_management', 'fraud_voice_delete_speaker'),
    ('voice_management', 'fraud_voice_opt_out_speaker'), ('voice_management', 'fraud_voice_start_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_describe_fraudster_registration_job'),
    ('voice_management', 'fraud_voice_list_fraudster_registration_jobs'),
    ('voice_management', 'fraud_voice_start_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_describe_speaker_enrollment_job'),
    ('voice_management', 'fraud_voice_list_speaker_enrollment_jobs'), ('voice_management', 'fraud_voice_get_job_results'),
    ('voice_management', 'fraud._caller_token'), ('voice_management', 'fraud._voice_start_job'),
    ('voice_management', 'fraud._voice_jobs')
    ) v(c, f)
$$;

-- The functions of the extension, with their place in the privilege model.
CREATE FUNCTION fraud._api_functions()
RETURNS TABLE (signature regprocedure, schema_name name, function_name name, language name, body text, args text[])
LANGUAGE sql STABLE AS $$
    SELECT p.oid::regprocedure, n.nspname, p.proname, l.lanname, p.prosrc, p.proargnames
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_proc p ON p.oid = d.objid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.refclassid = 'pg_catalog.pg_extension'::regclass
      AND d.deptype = 'e' AND d.refobjid = (SELECT e.oid FROM pg_catalog.pg_extension e WHERE e.extname = 'fraud_detector')
$$;

-- The functions a capability grants (22023 for an unknown capability).
CREATE FUNCTION fraud._capability_functions(p_capability text) RETURNS SETOF regprocedure
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_enum('capability', p_capability,
                              ARRAY(SELECT DISTINCT c.capability FROM fraud._capabilities() c ORDER BY 1));
    RETURN QUERY
    SELECT f.signature FROM fraud._api_functions() f JOIN fraud._capabilities() c
        ON c.capability = p_capability
       AND CASE WHEN c.function_name LIKE 'fraud.%' THEN f.schema_name = 'fraud' AND f.function_name = substr(c.function_name, 7)
                ELSE f.schema_name <> 'fraud' AND f.function_name = c.function_name END
    ORDER BY 1::text;
END $$;

-- The public wrappers that capture their caller (they mint a token with fraud._caller_token()
-- and pass it to an implementation that takes p_caller): SECURITY INVOKER, so that the token
-- names their caller. An explicit list: a function's security mode never depends on its text
-- (the privileges session checks that the list and the wrappers agree).
CREATE FUNCTION fraud._invoker_wrappers() RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    SELECT unnest(ARRAY['fraud_create_batch_import_job', 'fraud_get_batch_import_jobs', 'fraud_get_batch_import_job_errors',
                        'fraud_cancel_batch_import_job', 'fraud_delete_batch_import_job', 'fraud_create_batch_prediction_job',
                        'fraud_get_batch_prediction_jobs', 'fraud_cancel_batch_prediction_job', 'fraud_delete_batch_prediction_job',
                        'fraud_delete_events_by_event_type', 'fraud_voice_start_fraudster_registration_job',
                        'fraud_voice_describe_fraudster_registration_job', 'fraud_voice_list_fraudster_registration_jobs',
                        'fraud_voice_start_speaker_enrollment_job', 'fraud_voice_describe_speaker_enrollment_job',
                        'fraud_voice_list_speaker_enrollment_jobs', 'fraud_create_backtest_job', 'fraud_get_backtest_jobs',
                        'fraud_cancel_backtest_job', 'fraud_delete_backtest_job', 'fraud_create_model_version',
                        'fraud_update_model_version', 'fraud_put_external_model'])
$$;

-- Applies the model to every function of the extension: no EXECUTE for PUBLIC; the public
-- SQL and PL/pgSQL functions but the wrappers above, and the implementations that take a caller
-- token (p_caller), run as the owner with a pinned search_path. The Rust functions stay
-- SECURITY INVOKER (the scoring path: cheap, parallel safe) and read the catalog as the owner
-- themselves.
CREATE FUNCTION fraud._secure_api() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE f record;
BEGIN
    REVOKE ALL ON SCHEMA fraud FROM PUBLIC;
    FOR f IN SELECT * FROM fraud._api_functions() LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.signature);
        IF f.language IN ('sql', 'plpgsql')
           AND ((f.schema_name <> 'fraud' AND f.function_name NOT IN (SELECT fraud._invoker_wrappers()))
                OR (f.schema_name = 'fraud' AND 'p_caller' = ANY (f.args))) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f.signature);
        END IF;
    END LOOP;
END $$;

-- role_name must name an existing role (a regrole may hold any OID: '0', '12345').
CREATE FUNCTION fraud._check_role(role_name regrole) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._required('role_name', role_name);
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.oid = role_name) THEN
        PERFORM fraud._raise('42704', format('role with OID %s does not exist', role_name::oid));
    END IF;
END $$;

CREATE FUNCTION fraud_grant(capability text, role_name regrole) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE f regprocedure;
BEGIN
    PERFORM fraud._check_role(role_name);
    FOR f IN SELECT * FROM fraud._capability_functions(capability) LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, role_name);
    END LOOP;
    IF capability IN ('jobs', 'voice_management', 'managing') THEN
        -- the public wrappers call fraud._caller_token(); a job's owner fills its staging table
        EXECUTE format('GRANT USAGE ON SCHEMA fraud TO %s', role_name);
    END IF;
END $$;
COMMENT ON FUNCTION fraud_grant(text, regrole) IS 'Gives role_name one capability: EXECUTE on exactly its functions (fraud_capabilities()). Capabilities: scoring, reading, managing, jobs, voice_evaluation, voice_management (docs/security.md). Only the extension''s owner (or a superuser) may call it. Errors: 22023 unknown capability; 42704 unknown role; 42501 not the owner.';

-- Does role hold the capability (a direct EXECUTE grant on each of its functions)?
CREATE FUNCTION fraud._holds(p_role regrole, p_capability text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT bool_and(EXISTS (SELECT 1 FROM pg_catalog.pg_proc p, aclexplode(p.proacl) a
                            WHERE p.oid = f AND a.grantee = p_role AND a.privilege_type = 'EXECUTE'))
    FROM fraud._capability_functions(p_capability) f
$$;

CREATE FUNCTION fraud_revoke(capability text, role_name regrole) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE f regprocedure; sharing text[] := ARRAY['jobs', 'voice_management', 'managing']; keep boolean;
BEGIN
    PERFORM fraud._check_role(role_name);
    -- jobs, voice_management and managing share fraud._caller_token() and schema USAGE
    keep := capability = ANY (sharing)
            AND EXISTS (SELECT 1 FROM unnest(sharing) o WHERE o <> capability AND fraud._holds(role_name, o));
    FOR f IN SELECT * FROM fraud._capability_functions(capability) LOOP
        IF NOT (keep AND f = 'fraud._caller_token()'::regprocedure) THEN
            EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM %s', f, role_name);
        END IF;
    END LOOP;
    IF capability = ANY (sharing) AND NOT keep THEN
        EXECUTE format('REVOKE USAGE ON SCHEMA fraud FROM %s', role_name);
    END IF;
END $$;
COMMENT ON FUNCTION fraud_revoke(text, regrole) IS 'Takes one capability back from role_name (the EXECUTE grants fraud_grant gave). Only the extension''s owner (or a superuser) may call it. Errors: 22023 unknown capability; 42704 unknown role; 42501 not the owner.';

CREATE FUNCTION fraud._capability_table()
RETURNS TABLE (capability text, function_signature regprocedure)
LANGUAGE sql STABLE AS $$
    SELECT c.capability, s FROM (SELECT DISTINCT x.capability FROM fraud._capabilities() x) c,
           LATERAL fraud._capability_functions(c.capability) s
    ORDER BY 1, 2::text
$$;

CREATE FUNCTION fraud_capabilities()
RETURNS TABLE (capability text, function_signature regprocedure)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._capability_table() $$;
COMMENT ON FUNCTION fraud_capabilities() IS 'Every capability fraud_grant knows and the functions it grants EXECUTE on (including the internal fraud.* functions behind the job wrappers).';

SELECT fraud._secure_api();
