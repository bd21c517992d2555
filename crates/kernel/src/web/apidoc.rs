//! Assembly of the OpenAPI document from the kernel's and the rooms' parts: a merge that
//! refuses two definitions under one schema name, and the error responses every operation
//! shares, added from each operation's shape so that no room can forget them.

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder};

/// Merges named parts into one document. utoipa's own `merge` keeps the first schema of a
/// name and silently drops the other, so a room's `Status` would be documented with another
/// room's values: here that is an error naming both parts.
pub fn merge_parts(parts: Vec<(&str, OpenApi)>) -> Result<OpenApi, String> {
    let mut owners: BTreeMap<String, (String, serde_json::Value)> = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut out: Option<OpenApi> = None;
    for (room, doc) in parts {
        for (name, schema) in doc.components.iter().flat_map(|c| &c.schemas) {
            let v = serde_json::to_value(schema).unwrap_or_default();
            match owners.get(name) {
                Some((first, seen)) if *seen != v => conflicts.push(format!(
                    "schema `{name}` is defined differently by `{first}` and `{room}`: give one \
                     a unique name (`#[schema(as = …)]`)"
                )),
                Some(_) => {}
                None => {
                    owners.insert(name.clone(), (room.to_owned(), v));
                }
            }
        }
        match &mut out {
            Some(d) => d.merge(doc),
            None => out = Some(doc),
        }
    }
    if conflicts.is_empty() {
        Ok(out.unwrap_or_else(|| utoipa::openapi::OpenApiBuilder::new().build()))
    } else {
        Err(conflicts.join("\n"))
    }
}

/// The error responses the platform gives beyond each handler's own, by the operation's
/// shape: 400 when its query, path or body can fail to parse, 401 everywhere (an invalid
/// token is refused even where none is needed), 403 on writes (a browser session without
/// its CSRF header), 404 where the path names a commune or a record, 413 and 415 on bodies.
/// Open311 keeps its own error shape and is left as it documents itself.
pub fn add_shared_errors(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, description) in SHARED {
        components
            .responses
            .entry((*name).to_owned())
            .or_insert_with(|| RefOr::T(error_response(description)));
    }
    for (path, item) in doc.paths.paths.iter_mut() {
        if path.starts_with("/open311/") {
            continue;
        }
        let ops = [
            (false, &mut item.get),
            (false, &mut item.head),
            (false, &mut item.options),
            (true, &mut item.post),
            (true, &mut item.put),
            (true, &mut item.patch),
            (true, &mut item.delete),
        ];
        for (write, op) in ops {
            if let Some(op) = op.as_mut() {
                add_to_operation(op, write);
            }
        }
    }
}

const SHARED: &[(&str, &str)] = &[
    (
        "BadRequest",
        "The request does not parse: `query_invalid`, `path_invalid`, `json_invalid` or \
         `form_invalid`, with the parameter at fault in `field`.",
    ),
    (
        "Unauthorized",
        "`unauthenticated`: sign in (a bearer token, or the session cookie); or \
         `token_invalid`: the bearer token sent is invalid or revoked (also where no token is \
         needed).",
    ),
    (
        "Forbidden",
        "`forbidden` or `other_commune`: the signed-in person's roles do not allow it; or \
         `csrf_invalid`: a browser session's write without its `X-CSRF-Token` header.",
    ),
    (
        "NotFound",
        "`commune_unknown`: no commune with this code is served here; or the record does not \
         exist (`not_found` or a more precise code).",
    ),
    (
        "PayloadTooLarge",
        "`body_too_large`: the body is over the limit.",
    ),
    (
        "UnsupportedMediaType",
        "`content_type_invalid`: send the body as `application/json`.",
    ),
];

fn error_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

fn add_to_operation(op: &mut Operation, write: bool) {
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_query = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Query));
    let has_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path));
    let typed_path = params
        .iter()
        .any(|p| matches!(p.parameter_in, ParameterIn::Path) && !is_string(&p.schema));
    let body = op.request_body.as_ref();
    let json_body = body.is_some_and(|b| b.content.contains_key("application/json"));
    let mut wants = vec!["401"];
    if has_query || typed_path || body.is_some() {
        wants.push("400");
    }
    if write {
        wants.push("403");
    }
    if has_path {
        wants.push("404");
    }
    if body.is_some() {
        wants.push("413");
    }
    if json_body {
        wants.push("415");
    }
    for status in wants {
        let name = match status {
            "400" => "BadRequest",
            "401" => "Unauthorized",
            "403" => "Forbidden",
            "404" => "NotFound",
            "413" => "PayloadTooLarge",
            _ => "UnsupportedMediaType",
        };
        // A handler's own description of the status (which codes, why) stays.
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    }
}

fn is_string(schema: &Option<RefOr<Schema>>) -> bool {
    matches!(schema, Some(RefOr::T(Schema::Object(o))) if o.schema_type == SchemaType::Type(Type::String))
}

/// Parameters declared in the path that the path template does not have: a query struct
/// whose `IntoParams` lacks `#[into_params(parameter_in = Query)]` (utoipa defaults to path).
pub fn misplaced_parameters(doc: &OpenApi) -> Vec<String> {
    let mut out = Vec::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("get", &item.get),
            ("post", &item.post),
            ("put", &item.put),
            ("patch", &item.patch),
            ("delete", &item.delete),
        ];
        for (method, op) in ops {
            for p in op.iter().flat_map(|o| o.parameters.iter().flatten()) {
                let in_path = matches!(p.parameter_in, ParameterIn::Path);
                let templated = path.contains(&format!("{{{}}}", p.name));
                let required = matches!(p.required, utoipa::openapi::Required::True);
                if in_path != templated || (in_path && !required) {
                    out.push(format!("{method} {path}: `{}`", p.name));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::{ComponentsBuilder, ObjectBuilder, OpenApiBuilder};

    fn doc_with(name: &str, values: &[&str]) -> OpenApi {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .build();
        OpenApiBuilder::new()
            .components(Some(ComponentsBuilder::new().schema(name, schema).build()))
            .build()
    }

    #[test]
    fn one_name_two_definitions_is_refused() {
        let Err(err) = merge_parts(vec![
            ("services", doc_with("Status", &["received", "accepted"])),
            ("voice", doc_with("Status", &["new", "answered"])),
        ]) else {
            panic!("two definitions of `Status` merged");
        };
        assert!(err.contains("`Status`") && err.contains("`services`") && err.contains("`voice`"));
        // The same definition in two parts (the kernel's error body) is one schema.
        let ok = merge_parts(vec![
            ("services", doc_with("ErrorBody", &["x"])),
            ("voice", doc_with("ErrorBody", &["x"])),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok.components.unwrap().schemas.len(), 1);
    }
}
