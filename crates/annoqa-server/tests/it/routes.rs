//! The router serves exactly the route table of `annoqa-api`: no route the table lacks, no row
//! of the table without its route and method.

use std::collections::BTreeSet;

use annoqa_api::{ApiErrorCode, Endpoint};
use annoqa_server::Backend;
use axum::http::StatusCode;

use crate::support::*;

/// The router's catch-all that answers unknown API paths `not_found`: the one `/api` route that
/// is no endpoint.
const UNKNOWN_API: &str = "/api/{*rest}";

/// The `(method, path template)` pairs the router registers under `/api`, read from its `Debug`
/// output: axum 0.8 lists every route's path and `Allow` methods there and offers no other way
/// to enumerate them. `HEAD` (which axum adds to every `GET`) is left out; the catch-all, which
/// takes any method, appears as `("*", path)`.
fn registered_api_routes(router: &axum::Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    // The API lives in the path router; the app and `/static` are in the fallback router.
    let text = text.split("fallback_router:").next().unwrap();
    let (routes, paths) = text.split_once("node: Node { paths: {").expect("axum's Router Debug format");
    let entries = |text: &str| -> Vec<(String, String)> {
        text.split("RouteId(")
            .skip(1)
            .map(|entry| entry.split_once(')').unwrap())
            .map(|(id, rest)| (id.to_string(), rest.to_string()))
            .collect()
    };
    let mut out = BTreeSet::new();
    for (id, rest) in entries(paths) {
        let path = rest.split('"').nth(1).unwrap().to_string();
        if !path.starts_with("/api") {
            continue;
        }
        let (_, methods) =
            entries(routes).into_iter().find(|(other, _)| *other == id).expect("every path has its route");
        let allowed = methods.split("allow_header: Bytes(b\"").nth(1).map(|m| m.split('"').next().unwrap().to_string());
        match allowed {
            Some(methods) => {
                for method in methods.split(',').filter(|m| *m != "HEAD") {
                    out.insert((method.to_string(), path.clone()));
                }
            }
            None => {
                out.insert(("*".to_string(), path));
            }
        }
    }
    assert!(out.len() > 10, "the Debug output was read: {out:?}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_route_table() {
    let s = Server::start(Backend::Sqlite).await;
    let mut expected: BTreeSet<(String, String)> =
        Endpoint::ALL.iter().map(|e| (e.route().method.as_str().to_string(), e.route().path.to_string())).collect();
    expected.insert(("*".to_string(), UNKNOWN_API.to_string()));
    let registered = registered_api_routes(&s.app);
    let missing: Vec<_> = expected.difference(&registered).collect();
    let extra: Vec<_> = registered.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "in the table, not the router: {missing:?}; in the router, not the table: {extra:?}"
    );

    // And through the real router: each row reaches a handler (which wants a login, or for the
    // login a JSON body), not the catch-all's `not_found` or `method_not_allowed`.
    let anonymous = s.anonymous();
    for endpoint in Endpoint::ALL {
        let route = endpoint.route();
        let args: Vec<&str> = route.params().iter().map(|_| "1").collect();
        let path = route.fill(&args).unwrap();
        let answer = anonymous.request(route.method.as_str(), &path, &[], None).await;
        let expected =
            if *endpoint == Endpoint::Login { ApiErrorCode::UnsupportedMediaType } else { ApiErrorCode::Unauthorized };
        assert_eq!(answer.code(), expected, "{} {path}: {}", route.method.as_str(), answer.body);
    }
    s.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_methods_unknown_paths_and_bad_path_parameters_answer_api_errors() {
    let s = Server::start(Backend::Sqlite).await;
    let admin = s.user("root", annoqa_api::Role::Admin, None, &[]).await;
    let answer = admin.request("PATCH", annoqa_api::SESSION, &[], None).await;
    answer.refused(ApiErrorCode::MethodNotAllowed);
    assert_eq!(answer.headers.get("allow").unwrap(), "POST,GET,HEAD,DELETE");
    admin.get("/api/nothing/here").await.refused(ApiErrorCode::NotFound);
    admin.get("/api/users/abc").await.refused(ApiErrorCode::BadRequest);
    assert_eq!(admin.request("DELETE", annoqa_api::PROJECTS, &[], None).await.status, StatusCode::METHOD_NOT_ALLOWED);
    s.finish().await;
}
