//! `#[pg_test]`s: SQL behaviour asserted from inside a backend. The user-visible sessions
//! (every operation, its refusals and their SQLSTATEs) are pg_regress files under tests/.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn setup_event_type() {
        Spi::run(
            "SELECT fraud_put_entity_type('customer');
             SELECT fraud_create_variable('email_address', 'STRING', 'EVENT', 'unknown');
             SELECT fraud_create_variable('order_price', 'FLOAT', 'EVENT', '0');
             SELECT fraud_put_event_type('registration', ARRAY['email_address', 'order_price'], ARRAY['customer']);
             SELECT fraud_put_detector('det', 'registration');
             SELECT fraud_put_outcome('review');",
        )
        .expect("setup");
    }

    #[pg_test]
    fn event_error_is_what_predict_refuses() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\": \"det\", \"ruleId\": \"r1\", \"ruleVersion\": \"1\"}]');
             SELECT fraud_update_detector_version_status('det', '1', 'ACTIVE');",
        )
        .expect("detector");
        let bad = Spi::get_one::<String>(
            r#"SELECT fraud._event_error('det', '{"order_price": "lots"}', NULL)"#,
        );
        assert_eq!(
            bad,
            Ok(Some(
                "invalid value for variable \"order_price\" of type FLOAT: \"lots\"".into()
            ))
        );
        let good = Spi::get_one::<String>(
            r#"SELECT fraud._event_error('det', '{"order_price": "12.5", "other": "x"}', NULL)"#,
        );
        assert_eq!(good, Ok(None));
    }

    /// A domain created without a calibration gets the engine's defaults (the column defaults
    /// and the function's argument defaults restate them; the `constants` session shows both).
    #[pg_test]
    fn voice_calibration_defaults_are_the_engines() {
        let row = Spi::get_two::<f32, f32>(
            "SELECT cos_at_50, cos_at_90 FROM fraud_voice_create_domain('defaults', 4)",
        )
        .expect("domain");
        assert_eq!(
            row,
            (
                Some(fraud_engine::voice::DEFAULT_COS_AT_50),
                Some(fraud_engine::voice::DEFAULT_COS_AT_90)
            )
        );
        let stored = Spi::get_one::<bool>(
            "SELECT cos_at_50 = (SELECT pg_get_expr(adbin, adrelid)::real FROM pg_attrdef d
                                  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                                  WHERE d.adrelid = 'fraud.voice_domains'::regclass AND a.attname = 'cos_at_50')
                AND cos_at_90 = (SELECT pg_get_expr(adbin, adrelid)::real FROM pg_attrdef d
                                  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
                                  WHERE d.adrelid = 'fraud.voice_domains'::regclass AND a.attname = 'cos_at_90')
             FROM fraud.voice_domains WHERE name = 'defaults'",
        );
        assert_eq!(
            stored,
            Ok(Some(true)),
            "column defaults differ from the function's"
        );
    }

    #[pg_test]
    fn event_timestamps_in_afd_formats() {
        let same = Spi::get_one::<bool>(
            "SELECT bool_and(to_timestamp(fraud._event_timestamp_ms(t) / 1000.0) = '2024-05-01 12:00:00+00')
             FROM unnest(ARRAY['2024-05-01T12:00:00Z', '2024-05-01T14:00:00+02:00', '2024/05/01 12:00:00',
                               '05/01/2024 12:00:00', '05/01/2024 12:00']) t",
        );
        assert_eq!(same, Ok(Some(true)));
        let refused = Spi::get_one::<i64>("SELECT fraud._event_timestamp_ms('2024-05-01')");
        assert_eq!(refused, Ok(None));
        let why =
            Spi::get_one::<String>("SELECT fraud._variable_value_error('n', 'INTEGER', 'abc')");
        assert_eq!(
            why,
            Ok(Some(
                "invalid value for variable \"n\" of type INTEGER: \"abc\"".into()
            ))
        );
    }

    #[pg_test]
    fn expression_lists_skips_strings() {
        let lists = Spi::get_one::<Vec<String>>(
            r#"SELECT fraud._expression_lists('regex_match(".*@gmail\.com", $e) or $ip in @bad_ips')"#,
        );
        assert_eq!(lists, Ok(Some(vec!["bad_ips".to_string()])));
    }

    #[pg_test]
    fn every_catalog_table_is_dumped() {
        // pg_dump only keeps rows of tables registered with pg_extension_config_dump; the fixed
        // list of variable types is extension data, not users'; fraud.voice_fraudster_changes
        // is derived (the chain of fraudster index stamps: a restore without it only means
        // full index loads), and its rows would collide with the links the stamp trigger
        // writes while the fraudsters are restored. fraud.event_keys and fraud.event_key_specs
        // are derived too (the keys of stored events that aggregate variables read), rebuilt by
        // triggers as the events and the aggregate definitions are restored. fraud.cluster_changes
        // (Citus, docs/scale-out.md) is empty between statements.
        let counts = Spi::get_two::<i64, i64>(
            "SELECT count(*) FILTER (WHERE NOT c.oid = ANY (e.extconfig)),
                    count(*) FILTER (WHERE c.oid = ANY (e.extconfig))
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
                  pg_extension e
             WHERE e.extname = 'fraud_detector' AND n.nspname = 'fraud'
               AND c.relkind IN ('r', 'S')
               AND c.relname NOT IN ('variable_types', 'voice_fraudster_changes', 'event_keys', 'event_key_specs',
                                     'cluster_changes', 'cluster_changes_change_id_seq')",
        );
        // 23 definition tables (with the 2 of aggregate variables and the 3 of models) + events, event_predictions
        // (and its id sequence), jobs, batch_import_errors; the Voice ID tables (7) and their
        // stamp sequence
        assert_eq!(counts, Ok((Some(0), Some(36))));
    }

    #[pg_test]
    fn every_table_has_a_place_on_citus() {
        // a table of schema fraud is either shipped from the coordinator to every Citus worker
        // (fraud._cluster_tables(), sql/citus.sql) or node-local on purpose (docs/scale-out.md,
        // "What is where"); a new table must be put in one of the two
        let unplaced = Spi::get_one::<String>(
            "SELECT string_agg(c.relname, ', ' ORDER BY c.relname)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'fraud' AND c.relkind = 'r'
               AND c.relname NOT IN (SELECT table_name FROM fraud._cluster_tables())
               AND c.relname NOT IN ('events', 'event_predictions', 'event_keys', 'event_key_specs', 'jobs',
                                     'batch_import_errors', 'voice_job_results', 'voice_sessions', 'cluster_changes')",
        );
        assert_eq!(unplaced, Ok(None));
    }

    #[pg_test]
    #[should_panic(expected = "variable 'no_such_variable' does not exist")]
    fn put_event_type_with_unknown_variable_fails() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_put_event_type('other', ARRAY['no_such_variable'], ARRAY['customer'])",
        )
        .unwrap();
    }

    #[pg_test]
    fn failed_call_leaves_nothing_behind() {
        setup_event_type();
        // the second outcome does not exist: neither the rule nor its version may remain
        let code = Spi::get_one::<String>(
            "CREATE FUNCTION pg_temp.try_create() RETURNS text LANGUAGE plpgsql AS $$
             BEGIN
                 PERFORM fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review', 'nope']);
                 RETURN 'no error';
             EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE;
             END $$;
             SELECT pg_temp.try_create()",
        );
        assert_eq!(code, Ok(Some("42704".to_string())));
        let left = Spi::get_one::<i64>(
            "SELECT (SELECT count(*) FROM fraud.rules) + (SELECT count(*) FROM fraud.rule_versions)
                  + (SELECT count(*) FROM fraud.rule_version_outcomes)",
        );
        assert_eq!(left, Ok(Some(0)));
    }

    #[pg_test]
    fn activation_keeps_one_active_version() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_update_detector_version_status('det', '1', 'ACTIVE');
             SELECT fraud_update_detector_version_status('det', '2', 'ACTIVE');",
        )
        .unwrap();
        let statuses = Spi::get_one::<String>(
            "SELECT string_agg(detector_version_id || '=' || status, ',' ORDER BY detector_version_id)
             FROM fraud_describe_detector('det')",
        );
        assert_eq!(statuses, Ok(Some("1=INACTIVE,2=ACTIVE".to_string())));
    }

    #[pg_test]
    fn rule_versions_are_never_reused() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('r1', 'det', '$order_price > 10', ARRAY['review']);
             SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}', '$order_price > 20', ARRAY['review']);
             SELECT fraud_delete_rule('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"2\"}');",
        )
        .unwrap();
        let next = Spi::get_one::<pgrx::JsonB>(
            "SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"r1\",\"ruleVersion\":\"1\"}', '$order_price > 30', ARRAY['review'])",
        )
        .unwrap()
        .unwrap();
        assert_eq!(next.0["ruleVersion"], "3");
    }

    fn setup_active_detector() {
        setup_event_type();
        Spi::run(
            "SELECT fraud_create_rule('big', 'det', '$order_price > 100', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"1\"}]');
             SELECT fraud_update_detector_version_status('det', '1', 'ACTIVE');",
        )
        .unwrap();
    }

    #[pg_test]
    fn predict_returns_the_afd_shape() {
        setup_active_detector();
        let r =
            Spi::get_one::<pgrx::JsonB>("SELECT fraud_predict('det', '{\"order_price\": 500}')")
                .unwrap()
                .unwrap();
        assert_eq!(r.0["ruleResults"][0]["ruleId"], "big");
        assert_eq!(r.0["ruleResults"][0]["outcomes"][0], "review");
        assert!(r.0["modelScores"].as_array().is_some_and(|a| a.is_empty()));
        let none =
            Spi::get_one::<pgrx::JsonB>("SELECT fraud_predict('det', '{\"order_price\": 5}')")
                .unwrap()
                .unwrap();
        assert!(none.0["ruleResults"]
            .as_array()
            .is_some_and(|a| a.is_empty()));
    }

    #[pg_test]
    fn outcomes_follow_a_change_in_the_same_transaction() {
        setup_active_detector();
        let before =
            Spi::get_one::<Vec<String>>("SELECT fraud_outcomes('det', '{\"order_price\": 50}')");
        assert_eq!(before, Ok(Some(vec![])));
        // a new version with a lower threshold, activated in this same transaction
        Spi::run(
            "SELECT fraud_update_rule_version('{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"1\"}', '$order_price > 10', ARRAY['review']);
             SELECT fraud_create_detector_version('det', '[{\"detectorId\":\"det\",\"ruleId\":\"big\",\"ruleVersion\":\"2\"}]');
             SELECT fraud_update_detector_version_status('det', '2', 'ACTIVE');",
        )
        .unwrap();
        let after =
            Spi::get_one::<Vec<String>>("SELECT fraud_outcomes('det', '{\"order_price\": 50}')");
        assert_eq!(after, Ok(Some(vec!["review".to_string()])));
    }

    #[pg_test]
    #[should_panic(
        expected = "invalid value for variable \"order_price\" of type FLOAT: \"cheap\""
    )]
    fn unreadable_value_names_variable_and_value() {
        setup_active_detector();
        Spi::run("SELECT fraud_outcomes('det', '{\"order_price\": \"cheap\"}')").unwrap();
    }

    #[pg_test]
    #[should_panic(expected = "syntax error")]
    fn rule_with_syntax_error_is_refused() {
        setup_event_type();
        Spi::run("SELECT fraud_create_rule('r', 'det', '$order_price >> 1', ARRAY['review'])")
            .unwrap();
    }

    /// The native jsonb reader (src/jsonb.rs) must agree with PostgreSQL on every key of many
    /// documents: more than 32 keys (offset strides), keys of many lengths, every value type,
    /// numerics of every scale and sign, and keys that are absent.
    #[pg_test]
    fn native_jsonb_reader_agrees_with_postgres() {
        use crate::jsonb::{numeric_f64, Container, Item};
        let _ = &Item::Null;
        let rows = Spi::connect(|client| {
            let sql = "
              WITH docs AS (
                SELECT d, jsonb_object_agg(repeat('k', 1 + (k % 10)) || k,
                  CASE k % 7
                    WHEN 0 THEN to_jsonb(round((random() * 10 ^ (k % 16) * sign(random() - 0.5))::numeric, (k % 9)))
                    WHEN 1 THEN to_jsonb('s' || k || repeat('x', d % 40))
                    WHEN 2 THEN to_jsonb(k % 2 = 0)
                    WHEN 3 THEN 'null'::jsonb
                    WHEN 4 THEN jsonb_build_object('nested', k)
                    WHEN 5 THEN to_jsonb((k * 1000003 * d) % 2147483647)
                    ELSE to_jsonb(0.0000001 * k)
                  END) AS doc
                FROM generate_series(1, 40) d, generate_series(1, 45) k GROUP BY d)
              SELECT doc, key, jsonb_typeof(doc->key), doc->>key,
                     CASE jsonb_typeof(doc->key) WHEN 'number' THEN (doc->>key)::float8 END
              FROM docs, LATERAL (SELECT jsonb_object_keys(doc) UNION ALL SELECT 'absent' || d) ks(key)";
            let mut out = Vec::new();
            for row in client.select(sql, None, &[])? {
                let doc = row.get::<crate::datum::Jsonb>(1)?.expect("doc");
                let key: String = row.get(2)?.expect("key");
                let kind: Option<String> = row.get(3)?;
                let text: Option<String> = row.get(4)?;
                let number: Option<f64> = row.get(5)?;
                // SAFETY: a jsonb datum alive within this SPI connection
                let found = unsafe {
                    let container = Container::new(crate::datum::jsonb_body(doc.0));
                    // the lookup must not depend on its hint: out of range (a plain binary
                    // search), a guess that may be wrong, and the position just found
                    let mut offsets = crate::jsonb::Offsets::new();
                    let index = crate::jsonb::ObjectIndex::new(container, &mut offsets).expect("object");
                    let mut hint = (key.len() * 7) % 50;
                    let no_hint = || usize::MAX;
                    let a = format!("{:?}", index.find(key.as_bytes(), &mut no_hint()).map(|i| crate::jsonb::describe(&i)));
                    let b = format!("{:?}", index.find(key.as_bytes(), &mut hint).map(|i| crate::jsonb::describe(&i)));
                    let c = format!("{:?}", index.find(key.as_bytes(), &mut hint).map(|i| crate::jsonb::describe(&i)));
                    assert_eq!((&a, &a), (&b, &c), "indexed lookup of {key}");
                    match index.find(key.as_bytes(), &mut no_hint()) {
                        None => "absent".to_string(),
                        Some(Item::Null) => "null".to_string(),
                        Some(Item::Bool(b)) => format!("boolean {b}"),
                        Some(Item::Str(s)) => format!("string {}", String::from_utf8_lossy(s)),
                        Some(Item::Numeric(n)) => format!("number {:?}", numeric_f64(n)),
                        Some(Item::Container(c)) => format!("object {}", c.is_object()),
                    }
                };
                let expected = match kind.as_deref() {
                    None => "absent".to_string(),
                    Some("null") => "null".to_string(),
                    Some("boolean") => format!("boolean {}", text.unwrap_or_default()),
                    Some("string") => format!("string {}", text.unwrap_or_default()),
                    Some("number") => format!("number {:?}", number),
                    Some("object") => "object true".to_string(),
                    Some(other) => other.to_string(),
                };
                out.push((key, found, expected));
            }
            Ok::<_, pgrx::spi::Error>(out)
        })
        .expect("query");
        assert!(rows.len() > 1800, "{} rows", rows.len());
        let wrong: Vec<_> = rows.iter().filter(|(_, f, e)| f != e).take(5).collect();
        assert!(wrong.is_empty(), "disagreements: {wrong:?}");
    }
}
