//! What the OpenAPI document says besides each handler's own description: the bearer scheme,
//! and the error answers every operation can give whatever its handler does — 401 and 403
//! where a sign-in is needed, 400/413/415/422 where there is a body, 400 where there is a query
//! string, 404 where there is an id in the path — all with the one JSON error body.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The document's modifier.
pub struct Conventions;

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                document_errors(op);
            }
        }
    }
}

fn document_errors(op: &mut Operation) {
    let public = op
        .security
        .as_ref()
        .is_some_and(|s| s.iter().all(|r| *r == SecurityRequirement::default()));
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let (query, path) = (has(ParameterIn::Query), has(ParameterIn::Path));
    let body = op.request_body.is_some();
    let mut add = |status: &str, why: &str| {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error(why));
    };
    if !public {
        add(
            "401",
            "Not signed in, or the token has expired or was revoked",
        );
        add("403", "The caller's role may not do this");
    }
    if body || query {
        add("400", "The body or the query string cannot be read");
    }
    if body {
        add("413", "The body is larger than the limit");
        add("415", "The body is not of the type the operation takes");
        add("422", "A field is missing or invalid (`field` names it)");
    }
    if query {
        add("422", "A query parameter is invalid (`field` names it)");
    }
    if path {
        add("404", "No such object, or not one the caller may see");
    }
}

fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// The document a generated client or a fuzzer reads: parameters where they are sent,
    /// every refusal the server can give, and the validation bounds.
    #[test]
    fn the_document_says_where_parameters_go_and_what_can_go_wrong() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let public = op["security"]
                    .as_array()
                    .is_some_and(|s| s.iter().all(|r| r.as_object().unwrap().is_empty()));
                if !public {
                    assert!(responses.contains_key("401"), "{method} {path}: 401");
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{method} {path}: {status}");
                    }
                }
                for p in op["parameters"].as_array().into_iter().flatten() {
                    let name = p["name"].as_str().unwrap();
                    let templated = path.contains(&format!("{{{name}}}"));
                    let place = p["in"].as_str().unwrap();
                    assert_eq!(
                        place == "path",
                        templated,
                        "{method} {path}: {name} in {place}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 74, "{checked} parameters");
        let params = |path: &str| -> Vec<Value> {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .clone()
        };
        let limit = params("/api/v1/jobs")
            .into_iter()
            .find(|p| p["name"] == "limit")
            .unwrap();
        assert_eq!(
            (
                limit["schema"]["minimum"].as_i64(),
                limit["schema"]["maximum"].as_i64()
            ),
            (Some(1), Some(500))
        );
        let ticket = &doc["components"]["schemas"]["CreateTicketBody"]["properties"];
        assert_eq!(ticket["subject"]["maxLength"], 200);
        assert_eq!(ticket["priority"]["maximum"], 4);
        let user = &doc["components"]["schemas"]["CreateUserBody"]["properties"];
        assert_eq!(user["password"]["minLength"], 8);
        // Enums made by a macro show the names the API sends, not the Rust names.
        let kinds = &doc["components"]["schemas"]["EventKind"]["enum"];
        assert!(kinds
            .as_array()
            .unwrap()
            .contains(&Value::from("dispatch_override")));
        let jobs = &doc["components"]["schemas"]["JobKind"]["enum"];
        assert!(
            jobs.as_array().unwrap().contains(&Value::from("sla_scan")),
            "{jobs}"
        );
    }
}
