-- Detectors: the container of rules and versions for one event type (PutDetector, GetDetectors,
-- DescribeDetector, DeleteDetector).

CREATE FUNCTION fraud._lock_detector(detector_id text) RETURNS fraud.detectors
LANGUAGE plpgsql AS $$
DECLARE d fraud.detectors;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = _lock_detector.detector_id FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    RETURN d;
END $$;

CREATE FUNCTION fraud_put_detector(detector_id text, event_type_name text, description text DEFAULT NULL,
                                   tags jsonb DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE current_type text;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    PERFORM fraud._check_identifier('event_type_name', event_type_name);
    PERFORM fraud._check_description('description', description);
    IF NOT EXISTS (SELECT 1 FROM fraud.event_types WHERE name = event_type_name) THEN
        PERFORM fraud._not_found('event type', event_type_name);
    END IF;
    SELECT d.event_type_name INTO current_type FROM fraud.detectors d
        WHERE d.detector_id = fraud_put_detector.detector_id FOR UPDATE;
    -- rules are written against the event type's variables: changing it would orphan them
    IF current_type IS DISTINCT FROM event_type_name AND (
        EXISTS (SELECT 1 FROM fraud.rules r WHERE r.detector_id = fraud_put_detector.detector_id) OR
        EXISTS (SELECT 1 FROM fraud.detector_versions v WHERE v.detector_id = fraud_put_detector.detector_id)) THEN
        PERFORM fraud._conflict(format('detector %s has rules or versions for event type %s; its event type cannot change to %s',
                                       quote_literal(detector_id), current_type, event_type_name));
    END IF;
    INSERT INTO fraud.detectors AS d (detector_id, description, event_type_name)
        VALUES (detector_id, description, event_type_name)
        ON CONFLICT ON CONSTRAINT detectors_pkey DO UPDATE SET
            description = EXCLUDED.description, event_type_name = EXCLUDED.event_type_name,
            last_updated_time = now();
    PERFORM fraud._set_tags('detector', detector_id, tags);
END $$;
COMMENT ON FUNCTION fraud_put_detector(text, text, text, jsonb) IS 'PutDetector: creates or updates a detector, the container of rules and versions for one event type; tags are merged. Errors: 22023 invalid id or description; 42704 unknown event type; 55006 changing the event type of a detector that has rules or versions.';

CREATE FUNCTION fraud._get_detectors(p_detector_id text)
RETURNS TABLE (detector_id text, description text, event_type_name text, last_updated_time timestamptz,
               created_time timestamptz, arn text)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_detector_id IS NOT NULL THEN
        PERFORM fraud._check_identifier('detector_id', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT d.detector_id, d.description, d.event_type_name, d.last_updated_time, d.created_time,
           fraud._arn('detector', d.detector_id)
    FROM fraud.detectors d WHERE p_detector_id IS NULL OR d.detector_id = p_detector_id ORDER BY d.detector_id;
    IF p_detector_id IS NOT NULL AND NOT FOUND THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
END $$;

CREATE FUNCTION fraud_get_detectors(detector_id text DEFAULT NULL)
RETURNS TABLE (detector_id text, description text, event_type_name text, last_updated_time timestamptz,
               created_time timestamptz, arn text)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._get_detectors(detector_id) $$;
COMMENT ON FUNCTION fraud_get_detectors(text) IS 'GetDetectors: all detectors, or only the named one, as rows (detector_id, description, event_type_name, last_updated_time, created_time, arn). Errors: 22023 invalid id; 42704 the named detector does not exist.';

-- One row per detector version (AFD's detectorVersionSummaries); `arn` is the detector's.
CREATE FUNCTION fraud._describe_detector(p_detector_id text)
RETURNS TABLE (detector_id text, detector_version_id text, status text, description text,
               last_updated_time timestamptz, arn text, shadow boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM fraud._check_identifier('detector_id', p_detector_id);
    IF NOT EXISTS (SELECT 1 FROM fraud.detectors d WHERE d.detector_id = p_detector_id) THEN
        PERFORM fraud._not_found('detector', p_detector_id);
    END IF;
    RETURN QUERY
    SELECT v.detector_id, v.detector_version_id::text, v.status, v.description, v.last_updated_time,
           fraud._arn('detector', v.detector_id), v.shadow
    FROM fraud.detector_versions v WHERE v.detector_id = p_detector_id ORDER BY v.detector_version_id;
END $$;

CREATE FUNCTION fraud_describe_detector(detector_id text)
RETURNS TABLE (detector_id text, detector_version_id text, status text, description text,
               last_updated_time timestamptz, arn text, shadow boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._describe_detector(detector_id) $$;
COMMENT ON FUNCTION fraud_describe_detector(text) IS 'DescribeDetector: one row per version of the detector (detector_version_id, status, description, last_updated_time; arn is the detector''s; shadow: a shadow version). Errors: 22023 invalid id; 42704 no such detector.';

CREATE FUNCTION fraud_delete_detector(detector_id text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE n_versions int; n_rules int;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT count(*) INTO n_versions FROM fraud.detector_versions v WHERE v.detector_id = fraud_delete_detector.detector_id;
    SELECT count(*) INTO n_rules FROM fraud.rules r WHERE r.detector_id = fraud_delete_detector.detector_id;
    IF n_versions > 0 OR n_rules > 0 THEN
        PERFORM fraud._conflict(format('detector %s still has %s detector version(s) and %s rule(s); delete them first',
                                       quote_literal(detector_id), n_versions, n_rules));
    END IF;
    DELETE FROM fraud.detectors d WHERE d.detector_id = fraud_delete_detector.detector_id;
    IF NOT FOUND THEN
        RAISE NOTICE 'detector % does not exist, skipping', quote_literal(detector_id);
    END IF;
    PERFORM fraud._drop_tags('detector', detector_id);
END $$;
COMMENT ON FUNCTION fraud_delete_detector(text) IS 'DeleteDetector: deletes the detector and its tags; a missing one is a NOTICE. Errors: 22023 invalid id; 55006 it still has detector versions or rules.';
