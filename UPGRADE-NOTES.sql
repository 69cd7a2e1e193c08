-- perf-voice: the chain of fraudsters_stamp changes (sql/catalog.sql), which lets a backend
-- bring its cached fraudster index forward instead of reloading it. Not config-dumped on purpose
-- (derived data; a missing link only means a full load). The function changes (the stamp
-- trigger fraud._voice_fraudsters_changed, fraud._voice_registration_step,
-- fraud._voice_registration_checks) are picked up automatically.
CREATE TABLE fraud.voice_fraudster_changes (
    domain_id      text NOT NULL REFERENCES fraud.voice_domains(domain_id) ON DELETE CASCADE,
    stamp          bigint NOT NULL,
    previous_stamp bigint NOT NULL,
    fraudster_ids  text[],
    PRIMARY KEY (domain_id, stamp)
);
ALTER TABLE fraud.voice_fraudster_changes SET (autovacuum_vacuum_scale_factor = 0.01);
COMMENT ON TABLE fraud.voice_fraudster_changes IS 'The chain of a domain''s fraudsters_stamp values: each new stamp, the stamp it replaced and the fraudsters the change touched (NULL: too many to list). Lets a backend bring its cached fraudster index forward instead of reloading it (docs/voice-id.md); pruned to about the latest 200 links per domain; not dumped (a missing link only means a full load).';
