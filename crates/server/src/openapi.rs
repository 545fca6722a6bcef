//! The OpenAPI 3.1 document of the HTTP routes, served at `/openapi.json`. Written by hand next to the
//! handlers; the tests below, the end-to-end tests and the clients' schemathesis run keep it in step with
//! what the router serves and answers.

pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost_reflect::{DescriptorPool, Value as ProtoValue};
    use serde_json::Value;

    use super::DOCUMENT;

    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];

    fn document() -> Value {
        serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
    }

    /// (method, path) of every operation in the document.
    fn documented_operations() -> BTreeSet<(String, String)> {
        let document = document();
        let paths = document["paths"].as_object().expect("paths");
        paths
            .iter()
            .flat_map(|(path, item)| {
                let item = item.as_object().expect("path item");
                item.keys()
                    .filter(|key| METHODS.contains(&key.as_str()))
                    .map(|method| (method.clone(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// (method, path) of every `.route("path", method(handler)…)` in a router's source: the routes as the
    /// code declares them, so that a route added without documentation fails here.
    fn declared_routes(source: &str) -> BTreeSet<(String, String)> {
        let mut routes = BTreeSet::new();
        // rustfmt breaks a long `.route(` call over lines: the path may follow on the next line.
        for (at, _) in source.match_indices(".route(") {
            let arguments_start = at + ".route(".len();
            if !source[arguments_start..].trim_start().starts_with('"') {
                continue;
            }
            let mut depth = 1;
            let arguments_end = source[arguments_start..]
                .char_indices()
                .find_map(|(offset, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(arguments_start + offset)
                })
                .expect("balanced parentheses");
            let arguments = &source[arguments_start..arguments_end];
            let path = arguments.trim_start()[1..]
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            let mut found = false;
            for method in METHODS {
                let call = format!("{method}(");
                for (position, _) in arguments.match_indices(&call) {
                    let before = arguments[..position].chars().next_back();
                    if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        routes.insert((method.to_owned(), path.clone()));
                        found = true;
                    }
                }
            }
            assert!(found, "no method found for route {path}: {arguments}");
        }
        routes
    }

    #[test]
    fn document_is_openapi_3_1_of_this_version() {
        let document = document();
        assert_eq!(document["openapi"], "3.1.0");
        assert_eq!(document["info"]["version"], env!("CARGO_PKG_VERSION"));
    }

    #[test]
    fn every_reference_resolves() {
        fn visit(node: &Value, document: &Value, seen: &mut usize) {
            match node {
                Value::Object(map) => {
                    if let Some(Value::String(target)) = map.get("$ref") {
                        let pointer = target.strip_prefix('#').expect("local reference");
                        assert!(document.pointer(pointer).is_some(), "dangling {target}");
                        *seen += 1;
                    }
                    map.values().for_each(|value| visit(value, document, seen));
                }
                Value::Array(items) => items.iter().for_each(|value| visit(value, document, seen)),
                _ => {}
            }
        }
        let document = document();
        let mut seen = 0;
        visit(&document, &document, &mut seen);
        assert!(seen > 20, "only {seen} references: the walk is broken");
    }

    #[test]
    fn every_route_the_code_declares_is_documented_and_nothing_else() {
        let mut declared = declared_routes(include_str!("http/mod.rs"));
        declared.extend(declared_routes(include_str!("ops.rs")));
        assert!(declared.contains(&("put".into(), "/api/token/batch".into())));
        let documented = documented_operations();
        let undocumented: Vec<_> = declared.difference(&documented).collect();
        let not_served: Vec<_> = documented.difference(&declared).collect();
        assert!(
            undocumented.is_empty() && not_served.is_empty(),
            "routes missing from openapi.json: {undocumented:?}; documented but not routed: {not_served:?}"
        );
    }

    #[test]
    fn route_scanner_reads_method_chains_and_ignores_handler_names() {
        let source = r#"Router::new().route("/a/{id}", get(get_token).put(budget_put)).route("/b", post(x))
            .route(
                "/c/{id}/revert",
                post(changes::revert),
            )"#;
        let routes = declared_routes(source);
        let expected: BTreeSet<(String, String)> = [
            ("get", "/a/{id}"),
            ("put", "/a/{id}"),
            ("post", "/b"),
            ("post", "/c/{id}/revert"),
        ]
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
        assert_eq!(routes, expected);
    }

    /// The proto's `google.api.http` rules name the same routes as this document, so a transcoder in front
    /// of the gRPC service and tokenbatch's own shim agree on paths and verbs.
    #[test]
    fn proto_http_annotations_name_documented_routes() {
        let pool = DescriptorPool::decode(tokenbatch_proto::FILE_DESCRIPTOR_SET)
            .expect("descriptor set decodes");
        let http_option = pool
            .get_extension_by_name("google.api.http")
            .expect("google.api.http is in the descriptor set");
        let service = pool
            .get_service_by_name("newapi.token.v1.TokenService")
            .expect("TokenService");
        let documented = documented_operations();
        let mut bindings = Vec::new();
        for method in service.methods() {
            let options = method.options();
            assert!(
                options.has_extension(&http_option),
                "{} has no google.api.http rule",
                method.name()
            );
            let rule = options.get_extension(&http_option);
            let rule = rule.as_message().expect("HttpRule");
            let mut rules = vec![rule.clone()];
            if let Some(ProtoValue::List(more)) = rule
                .get_field_by_name("additional_bindings")
                .map(|v| v.into_owned())
            {
                rules.extend(more.iter().filter_map(|v| v.as_message().cloned()));
            }
            for rule in rules {
                let verb = ["get", "put", "post", "delete", "patch"]
                    .into_iter()
                    .find(|verb| rule.has_field_by_name(verb))
                    .unwrap_or_else(|| panic!("{}: no verb in its rule", method.name()));
                let path = rule
                    .get_field_by_name(verb)
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap();
                assert!(
                    documented.contains(&(verb.to_owned(), path.clone())),
                    "{}: {verb} {path} is not in openapi.json",
                    method.name()
                );
                bindings.push((method.name().to_owned(), verb, path));
            }
        }
        assert_eq!(bindings.len(), 9, "{bindings:?}");
    }
}
