-- Compiled detector versions are cached per backend. Every statement that changes a catalog
-- table queues an invalidation (fraud._catalog_changed), delivered transactionally: to this
-- session at its next command, to the others when the change commits, never if it aborts.
-- ENABLE ALWAYS: a change made under session_replication_role = replica (a logical replication
-- apply worker, a restore with it set) must reach the caches too, and ordinary triggers do not
-- fire then.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['variables', 'event_types', 'event_type_variables', 'lists', 'list_elements',
                             'detectors', 'rules', 'rule_versions', 'rule_version_outcomes', 'rule_version_lists',
                             'detector_versions', 'detector_version_rules', 'aggregate_variables',
                             'aggregate_variable_event_types', 'models', 'model_versions', 'external_models'] LOOP
        EXECUTE format('CREATE TRIGGER invalidate_compiled_detectors
                        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON fraud.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION fraud._catalog_changed()', t);
        EXECUTE format('ALTER TABLE fraud.%I ENABLE ALWAYS TRIGGER invalidate_compiled_detectors', t);
    END LOOP;
END $$;
