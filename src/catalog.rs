//! Reading a detector version (and what its rules may name) out of the catalog tables.

use rustc_hash::FxHashMap;

use fraud_engine::aggregate::{AggregateSpec, Function, GroupBy};
use fraud_engine::detector::{self, Detector, DetectorSpec, Mode, RuleSpec, VariableSpec};
use fraud_engine::node::ListSet;
use fraud_engine::value::DataType;

use crate::errors;
use crate::spi::query;

/// One detector version, as stored.
pub struct StoredVersion {
    pub detector_id: String,
    pub version_id: String,
    pub status: String,
    pub event_type: String,
    pub spec: DetectorSpec,
    /// the model versions it scores with: (model id, model type, version number), their
    /// scores first in `spec.model_outputs`
    pub models: Vec<(String, String, String)>,
    /// its external models, their outputs next in `spec.model_outputs`
    pub externals: Vec<StoredExternal>,
}

/// An external model as a detector version calls it (sql/models.sql).
pub struct StoredExternal {
    pub endpoint: String,
    /// the function, `fn(jsonb) RETURNS jsonb`
    pub function: pgrx::pg_sys::Oid,
    /// the function's argument: the event's variables, or `template` filled in
    pub use_event_variables: bool,
    pub template: Option<String>,
    /// (key of the function's result, the variable it sets)
    pub outputs: Vec<(String, VariableSpec)>,
}

fn text(row: &[Option<String>], i: usize) -> String {
    row.get(i).cloned().flatten().unwrap_or_default()
}

/// The detector's ACTIVE version, or the named one (any status). 42704 when there is none.
pub fn load_version(detector_id: &str, version: Option<&str>) -> StoredVersion {
    if let Some(v) = version {
        // The rule's owner is fraud._version_number (sql/support.sql); checked here without a
        // query so that a bad argument costs no catalog read. The regression session
        // `constants` keeps the two in step.
        let ok = !v.is_empty()
            && v.len() <= 5
            && !v.starts_with('0')
            && v.bytes().all(|b| b.is_ascii_digit());
        if !ok {
            errors::invalid(format!("invalid detector_version_id: '{v}' (must match ^([1-9][0-9]*)$, 1 to 5 characters)"));
        }
    }
    let head = query(
        c"SELECT d.event_type_name, v.detector_version_id::text, v.status, v.rule_execution_mode,
                 (SELECT string_agg((m->>'modelId') || ',' || (m->>'modelType') || ',' || (m->>'modelVersionNumber'), ';')
                  FROM jsonb_array_elements(v.model_versions) m),
                 array_to_string(v.external_model_endpoints, ',')
          FROM fraud.detectors d
          LEFT JOIN fraud.detector_versions v ON v.detector_id = d.detector_id
               AND CASE WHEN $2 IS NULL THEN v.status = 'ACTIVE' ELSE v.detector_version_id::text = $2 END
          WHERE d.detector_id = $1",
        &[Some(detector_id), version],
    );
    let Some(row) = head.first() else {
        errors::not_found(format!("detector '{detector_id}' does not exist"));
    };
    let Some(version_id) = row[1].clone() else {
        match version {
            Some(v) => errors::not_found(format!(
                "detector version '{detector_id}/{v}' does not exist"
            )),
            None => errors::not_found(format!("detector '{detector_id}' has no ACTIVE version")),
        }
    };
    let event_type = text(row, 0);
    let status = text(row, 2);
    let mode = Mode::parse(&text(row, 3));
    let externals = stored_externals(&text(row, 5));
    // model ids match ^[0-9a-z_]+$ and versions ^[0-9.]+$: ',' and ';' cannot occur in them
    let models: Vec<(String, String, String)> = text(row, 4)
        .split(';')
        .filter_map(|m| {
            let mut p = m.split(',');
            Some((
                p.next()?.to_string(),
                p.next()?.to_string(),
                p.next()?.to_string(),
            ))
        })
        .collect();

    let rules = query(
        c"SELECT r.rule_id, r.rule_version::text, rv.expression,
                 (SELECT string_agg(o.outcome_name, ',' ORDER BY o.position) FROM fraud.rule_version_outcomes o
                  WHERE (o.detector_id, o.rule_id, o.rule_version) = (r.detector_id, r.rule_id, r.rule_version))
          FROM fraud.detector_version_rules r
          JOIN fraud.rule_versions rv USING (detector_id, rule_id, rule_version)
          WHERE r.detector_id = $1 AND r.detector_version_id = $2::int
          ORDER BY r.position",
        &[Some(detector_id), Some(&version_id)],
    )
    .iter()
    .map(|r| RuleSpec {
        rule_id: text(r, 0),
        rule_version: text(r, 1),
        expression: text(r, 2),
        // outcome names match ^[0-9a-z_-]+$, so ',' cannot occur inside one
        outcomes: text(r, 3).split(',').filter(|s| !s.is_empty()).map(String::from).collect(),
    })
    .collect();

    let mut lists: FxHashMap<String, Vec<String>> = FxHashMap::default();
    for r in query(
        c"SELECT l.list_name, e.element
          FROM (SELECT DISTINCT x.list_name FROM fraud.rule_version_lists x
                JOIN fraud.detector_version_rules r USING (detector_id, rule_id, rule_version)
                WHERE r.detector_id = $1 AND r.detector_version_id = $2::int) l
          LEFT JOIN fraud.list_elements e ON e.list_name = l.list_name",
        &[Some(detector_id), Some(&version_id)],
    ) {
        let elements = lists.entry(text(&r, 0)).or_default();
        if let Some(e) = r.get(1).cloned().flatten() {
            elements.push(e);
        }
    }

    StoredVersion {
        detector_id: detector_id.to_string(),
        version_id,
        status,
        spec: DetectorSpec {
            variables: event_variables(&event_type),
            lists,
            rules,
            mode,
            aggregates: aggregate_variables(&event_type),
            model_outputs: models
                .iter()
                .map(|m| VariableSpec {
                    name: score_name(&m.0),
                    data_type: DataType::Float,
                    default_value: String::new(),
                })
                .chain(
                    externals
                        .iter()
                        .flat_map(|x| x.outputs.iter().map(|o| o.1.clone())),
                )
                .collect(),
        },
        event_type,
        models,
        externals,
    }
}

/// The external models named (endpoints match ^[0-9A-Za-z_-]+$: no ',').
fn stored_externals(endpoints: &str) -> Vec<StoredExternal> {
    endpoints
        .split(',')
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let rows = query(
                c"SELECT x.function::oid::text, x.input_configuration->>'useEventVariables',
                         x.input_configuration->>'jsonInputTemplate'
                  FROM fraud.external_models x WHERE x.model_endpoint = $1",
                &[Some(e)],
            );
            let row = rows.first()?;
            let outputs = query(
                c"SELECT k.key, v.name, v.data_type, v.default_value
                  FROM fraud.external_models x
                  CROSS JOIN LATERAL jsonb_each_text(x.output_configuration->'jsonKeyToVariableMap') k
                  JOIN fraud.variables v ON v.name = k.value
                  WHERE x.model_endpoint = $1 ORDER BY k.key",
                &[Some(e)],
            )
            .iter()
            .map(|r| {
                (
                    text(r, 0),
                    VariableSpec {
                        name: text(r, 1),
                        data_type: DataType::parse(&text(r, 2)).unwrap_or(DataType::String),
                        default_value: text(r, 3),
                    },
                )
            })
            .collect();
            Some(StoredExternal {
                endpoint: e.to_string(),
                function: pgrx::pg_sys::Oid::from(text(row, 0).parse::<u32>().unwrap_or(0)),
                use_event_variables: text(row, 1) == "true",
                template: row[2].clone(),
                outputs,
            })
        })
        .collect()
}

/// The variable a model's score is to rules: `$<model_id>_insightscore` (AFD's name).
pub fn score_name(model_id: &str) -> String {
    format!("{model_id}_insightscore")
}

/// Compiles a stored version as prediction runs it; a rule that does not compile is raised with
/// its expression and position (42601 / 22023 / 54000).
pub fn compile_version(stored: &StoredVersion) -> Detector {
    compile_version_with(stored, |_, elements| {
        fraud_engine::detector::list_set(elements)
    })
}

/// [`compile_version`], with each list's set made by `list_set(name, elements)` (the cache
/// shares one set between the versions it keeps).
pub fn compile_version_with(
    stored: &StoredVersion,
    list_set: impl FnMut(&str, &[String]) -> ListSet,
) -> Detector {
    Detector::compile_with_lists(&stored.spec, list_set).unwrap_or_else(|e| {
        let expression = stored
            .spec
            .rules
            .iter()
            .find(|r| r.rule_id == e.rule_id)
            .map(|r| r.expression.as_str());
        errors::rule_error(
            &format!(
                "rule version {}/{}/{} is not valid for detector version {}",
                stored.detector_id, e.rule_id, e.rule_version, stored.version_id
            ),
            expression.unwrap_or(""),
            &e.error,
        )
    })
}

/// The variables of an event type, in order. A data type the engine does not know is an
/// internal error (XX000): the catalog's CHECK constraint on `fraud.variables.data_type`
/// admits only the engine's types, so such a row means a damaged or hand-edited catalog, and
/// dropping the variable would silently change what rules may name and what events read.
pub fn event_variables(event_type: &str) -> Vec<VariableSpec> {
    query(
        c"SELECT v.name, v.data_type, v.default_value
          FROM fraud.event_type_variables m JOIN fraud.variables v ON v.name = m.variable_name
          WHERE m.event_type_name = $1 ORDER BY m.position",
        &[Some(event_type)],
    )
    .iter()
    .map(|r| {
        let (name, data_type) = (text(r, 0), text(r, 1));
        let Some(data_type) = DataType::parse(&data_type) else {
            errors::internal(format!(
                "variable '{name}' of event type '{event_type}' has unknown data type '{data_type}'"
            ));
        };
        VariableSpec {
            name,
            data_type,
            default_value: text(r, 2),
        }
    })
    .collect()
}

/// The aggregate variables rules of `event_type` may use: those whose key its events have (an
/// entity type of the event type, or one of its variables). Each comes with the variables of
/// the event types it reads, for its filter.
pub fn aggregate_variables(event_type: &str) -> Vec<AggregateSpec> {
    aggregates(Some(event_type), None)
}

/// The aggregate variable `name` (None when there is none).
pub fn aggregate_variable(name: &str) -> Option<AggregateSpec> {
    aggregates(None, Some(name)).pop()
}

/// Whether catalog table `fraud.<name>` exists: this library also runs the SQL of older
/// versions until ALTER EXTENSION UPDATE, which lack the newer tables.
pub fn table_exists(name: &std::ffi::CStr) -> bool {
    // SAFETY: syscache lookups by name; InvalidOid when absent (missing_ok).
    unsafe {
        let nsp = pgrx::pg_sys::get_namespace_oid(c"fraud".as_ptr(), true);
        nsp != pgrx::pg_sys::InvalidOid
            && pgrx::pg_sys::get_relname_relid(name.as_ptr(), nsp) != pgrx::pg_sys::InvalidOid
    }
}

/// The aggregate variables usable by `event_type`, or the one called `name`. None before the
/// extension's SQL is updated to a version that has them (this library runs the older
/// versions' SQL too until ALTER EXTENSION UPDATE).
fn aggregates(event_type: Option<&str>, name: Option<&str>) -> Vec<AggregateSpec> {
    if !table_exists(c"aggregate_variables") {
        return Vec::new();
    }
    query(
        c"SELECT a.name, a.entity_type, a.group_by_variable, a.function, a.variable, v.data_type,
                 (extract(epoch FROM a.time_window) * 1000)::bigint::text, a.filter,
                 (SELECT string_agg(t.event_type_name, ',' ORDER BY t.event_type_name)
                  FROM fraud.aggregate_variable_event_types t WHERE t.aggregate_name = a.name)
          FROM fraud.aggregate_variables a LEFT JOIN fraud.variables v ON v.name = a.variable
          WHERE a.name = $2
             OR a.entity_type IN (SELECT entity_type_name FROM fraud.event_type_entity_types WHERE event_type_name = $1)
             OR a.group_by_variable IN (SELECT variable_name FROM fraud.event_type_variables WHERE event_type_name = $1)
          ORDER BY a.name",
        &[event_type, name],
    )
    .iter()
    .map(|r| {
        let name = text(r, 0);
        let damaged = |what: &str| -> ! {
            errors::internal(format!("aggregate variable '{name}' has {what}"))
        };
        let group_by = match (r[1].clone(), r[2].clone()) {
            (Some(e), None) => GroupBy::Entity(e),
            (None, Some(v)) => GroupBy::Variable(v),
            _ => damaged("no single key"),
        };
        let function = Function::parse(&text(r, 3)).unwrap_or_else(|| damaged("an unknown function"));
        let variable = r[4].clone().map(|v| {
            let t = DataType::parse(&text(r, 5)).unwrap_or_else(|| damaged("an unknown variable type"));
            (v, t)
        });
        // event type names match ^[0-9a-z_-]+$: ',' cannot occur inside one
        let event_types: Vec<String> = text(r, 8).split(',').filter(|s| !s.is_empty()).map(String::from).collect();
        let mut variables: Vec<VariableSpec> = Vec::new();
        for t in &event_types {
            for v in event_variables(t) {
                if !variables.iter().any(|x| x.name == v.name) {
                    variables.push(v);
                }
            }
        }
        let variables = detector::variables(&variables).unwrap_or_else(|e| errors::invalid(e.message));
        AggregateSpec {
            window_ms: text(r, 6).parse().unwrap_or_else(|_| damaged("an unreadable window")),
            filter: r[7].clone(),
            name,
            event_types,
            group_by,
            function,
            variable,
            variables,
        }
    })
    .collect()
}

/// What a rule of `detector_id` may name when it is written: the event type's variables and
/// the names of the lists.
pub fn rule_context(
    detector_id: &str,
) -> (
    Vec<VariableSpec>,
    Vec<String>,
    Vec<AggregateSpec>,
    Vec<VariableSpec>,
) {
    let rows = query(
        c"SELECT event_type_name FROM fraud.detectors WHERE detector_id = $1",
        &[Some(detector_id)],
    );
    let Some(row) = rows.first() else {
        errors::not_found(format!("detector '{detector_id}' does not exist"));
    };
    let lists = query(c"SELECT name FROM fraud.lists", &[])
        .into_iter()
        .map(|r| text(&r, 0))
        .collect();
    let event_type = text(row, 0);
    // a rule may name the score of any model of the event type; a detector version using it
    // must then score with that model (checked when the version is compiled)
    let scores = if table_exists(c"models") {
        let mut outputs: Vec<VariableSpec> = query(
            c"SELECT DISTINCT model_id FROM fraud.models WHERE event_type_name = $1 ORDER BY 1",
            &[Some(&event_type)],
        )
        .into_iter()
        .map(|r| VariableSpec {
            name: score_name(&text(&r, 0)),
            data_type: DataType::Float,
            default_value: String::new(),
        })
        .collect();
        // and the outputs of the external models of the event type
        outputs.extend(
            query(
                c"SELECT DISTINCT v.name, v.data_type, v.default_value
                  FROM fraud.external_models x
                  CROSS JOIN LATERAL jsonb_each_text(x.output_configuration->'jsonKeyToVariableMap') k
                  JOIN fraud.variables v ON v.name = k.value
                  WHERE x.input_configuration->>'eventTypeName' = $1 ORDER BY 1",
                &[Some(&event_type)],
            )
            .iter()
            .map(|r| VariableSpec {
                name: text(r, 0),
                data_type: DataType::parse(&text(r, 1)).unwrap_or(DataType::String),
                default_value: text(r, 2),
            }),
        );
        outputs
    } else {
        Vec::new()
    };
    (
        event_variables(&event_type),
        lists,
        aggregate_variables(&event_type),
        scores,
    )
}
