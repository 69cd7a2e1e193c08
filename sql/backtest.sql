-- Backtesting (docs/velocity-and-backtesting.md, beyond AFD): what a detector version would have decided on
-- the labelled stored events of its event type, each event scored as it would have been at its
-- own time (fraud._replay: aggregate variables see only the events stored before it), per
-- event and summed up per rule, per outcome and, against a baseline version, per change of
-- outcomes.

-- The detector and its event type, after checking the arguments every backtest takes.
CREATE FUNCTION fraud._backtest_detector(detector_id text, detector_version_id text, p_from timestamptz,
                                         p_to timestamptz, baseline_version_id text)
RETURNS fraud.detectors LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors; v text;
BEGIN
    PERFORM fraud._check_identifier('detector_id', detector_id);
    SELECT * INTO d FROM fraud.detectors x WHERE x.detector_id = _backtest_detector.detector_id;
    IF NOT FOUND THEN
        PERFORM fraud._not_found('detector', detector_id);
    END IF;
    PERFORM fraud._required('detector_version_id', detector_version_id);
    FOREACH v IN ARRAY ARRAY['detector_version_id', 'baseline_version_id'] LOOP
        CONTINUE WHEN v = 'baseline_version_id' AND baseline_version_id IS NULL;
        IF NOT EXISTS (SELECT 1 FROM fraud.detector_versions x
                       WHERE x.detector_id = d.detector_id
                         AND x.detector_version_id = fraud._version_number(v, CASE v WHEN 'detector_version_id'
                             THEN _backtest_detector.detector_version_id ELSE baseline_version_id END)) THEN
            PERFORM fraud._not_found('detector version', d.detector_id || '/' ||
                CASE v WHEN 'detector_version_id' THEN _backtest_detector.detector_version_id ELSE baseline_version_id END);
        END IF;
    END LOOP;
    PERFORM fraud._required('from', p_from);
    PERFORM fraud._required('to', p_to);
    IF p_from >= p_to THEN
        PERFORM fraud._invalid('to', p_to::text, format('(must be after from, %s)', p_from));
    END IF;
    RETURN d;
END $$;

CREATE FUNCTION fraud._backtest_events(p_detector_id text, p_detector_version_id text, p_from timestamptz,
                                       p_to timestamptz, p_baseline_version_id text)
RETURNS TABLE (event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int,
               matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    -- OFFSET 0 keeps each LATERAL from being flattened, so each version scores each event once
    RETURN QUERY
        SELECT e.event_type_name, e.event_id, e.event_timestamp, e.event_label, (r.x).evaluated,
               (r.x).matched_rules, (r.x).outcomes, (b.y).outcomes,
               p_baseline_version_id IS NOT NULL
                   AND NOT ((r.x).outcomes @> (b.y).outcomes AND (b.y).outcomes @> (r.x).outcomes)
        FROM fraud.events e
        CROSS JOIN LATERAL (SELECT fraud._replay(d.detector_id, p_detector_version_id, e.event_variables,
                                                 e.entities, e.event_timestamp) AS x OFFSET 0) r
        LEFT JOIN LATERAL (SELECT fraud._replay(d.detector_id, p_baseline_version_id, e.event_variables,
                                                e.entities, e.event_timestamp) AS y
                           WHERE p_baseline_version_id IS NOT NULL OFFSET 0) b ON true
        WHERE e.event_type_name = d.event_type_name AND e.event_timestamp >= p_from AND e.event_timestamp < p_to;
END $$;

CREATE FUNCTION fraud_backtest_events(detector_id text, detector_version_id text, "from" timestamptz, "to" timestamptz,
                                      baseline_version_id text DEFAULT NULL)
RETURNS TABLE (event_type_name text, event_id text, event_timestamp timestamptz, event_label text, evaluated int,
               matched_rules text[], outcomes text[], baseline_outcomes text[], changed boolean)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._backtest_events(detector_id, detector_version_id, "from", "to", baseline_version_id) $$;
COMMENT ON FUNCTION fraud_backtest_events(text, text, timestamptz, timestamptz, text) IS 'Backtest, per event: every stored event of the detector''s event type with event_timestamp in [from, to), scored by the detector version as at its own time (aggregates see only events stored before it): evaluated (how many rules, in order), matched_rules, outcomes, and with baseline_version_id the baseline''s outcomes and whether the set changed. Joins back to fraud_get_event by (event_id, event_type_name). Errors: 42704 unknown detector or version; 22023 bad arguments, from not before to.';

CREATE FUNCTION fraud._backtest(p_detector_id text, p_detector_version_id text, p_from timestamptz, p_to timestamptz,
                                p_baseline_version_id text, p_fraud_labels text[])
RETURNS TABLE (kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint,
               matched_legit bigint, "precision" double precision, recall double precision)
LANGUAGE plpgsql STABLE AS $$
DECLARE d fraud.detectors;
BEGIN
    d := fraud._backtest_detector(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id);
    PERFORM fraud._check_flat('fraud_labels', p_fraud_labels);
    PERFORM fraud._check_names('fraud_labels', p_fraud_labels, 1);
    PERFORM fraud._check_exist('label', 'labels', p_fraud_labels);
    RETURN QUERY
        WITH ev AS MATERIALIZED (
            SELECT b.evaluated, b.matched_rules, b.outcomes, b.baseline_outcomes, b.changed,
                   b.event_label = ANY (p_fraud_labels) AS fraud,
                   b.event_label IS NOT NULL AND NOT b.event_label = ANY (p_fraud_labels) AS legit
            FROM fraud._backtest_events(p_detector_id, p_detector_version_id, p_from, p_to, p_baseline_version_id) b),
        totals AS (SELECT count(*) AS n, count(*) FILTER (WHERE ev.fraud) AS fraud FROM ev),
        rules AS (SELECT r.rule_id, (row_number() OVER (ORDER BY r.position) - 1)::int AS i
                  FROM fraud.detector_version_rules r
                  WHERE r.detector_id = d.detector_id AND r.detector_version_id = p_detector_version_id::int),
        counted AS (
            SELECT 'rule' AS kind, r.rule_id AS name, r.i AS ord,
                   count(*) FILTER (WHERE r.i < ev.evaluated) AS evaluated,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules)) AS matched,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.fraud) AS matched_fraud,
                   count(*) FILTER (WHERE r.rule_id = ANY (ev.matched_rules) AND ev.legit) AS matched_legit
            FROM rules r CROSS JOIN ev GROUP BY r.rule_id, r.i
            UNION ALL
            SELECT 'outcome', o, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev CROSS JOIN LATERAL unnest(ev.outcomes) o GROUP BY o
            UNION ALL
            SELECT 'any_outcome', NULL, NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE cardinality(ev.outcomes) > 0
            UNION ALL
            SELECT 'change', ev.baseline_outcomes::text || ' -> ' || ev.outcomes::text,
                   NULL, NULL, count(*), count(*) FILTER (WHERE ev.fraud), count(*) FILTER (WHERE ev.legit)
            FROM ev WHERE ev.changed GROUP BY ev.baseline_outcomes, ev.outcomes)
        SELECT c.kind, c.name, t.n, c.evaluated, c.matched, c.matched_fraud, c.matched_legit,
               c.matched_fraud::double precision / nullif(c.matched_fraud + c.matched_legit, 0),
               c.matched_fraud::double precision / nullif(t.fraud, 0)
        FROM counted c CROSS JOIN totals t
        ORDER BY CASE c.kind WHEN 'rule' THEN 0 WHEN 'outcome' THEN 1 WHEN 'any_outcome' THEN 2 ELSE 3 END, c.ord, c.name;
END $$;

CREATE FUNCTION fraud_backtest(detector_id text, detector_version_id text, "from" timestamptz, "to" timestamptz,
                               baseline_version_id text DEFAULT NULL, fraud_labels text[] DEFAULT '{fraud}')
RETURNS TABLE (kind text, name text, events bigint, evaluated bigint, matched bigint, matched_fraud bigint,
               matched_legit bigint, "precision" double precision, recall double precision)
LANGUAGE sql STABLE AS $$ SELECT * FROM fraud._backtest(detector_id, detector_version_id, "from", "to", baseline_version_id, fraud_labels) $$;
COMMENT ON FUNCTION fraud_backtest(text, text, timestamptz, timestamptz, text, text[]) IS 'Backtest, summed up: the detector version over the stored events of its event type in [from, to), each as at its own time. One row per rule (kind rule: evaluated, matched, matched_fraud, matched_legit, precision, recall), per outcome (kind outcome), for events with any outcome (kind any_outcome), and with baseline_version_id per change of outcomes (kind change, name ''{baseline outcomes} -> {outcomes}''). Labels in fraud_labels count as fraud, other labels as legit, unlabelled events in neither. Errors: 42704 unknown detector, version or label; 22023 bad arguments.';
