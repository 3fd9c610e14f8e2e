//! The server driven through its real router, on SQLite (a temporary file) and on PostgreSQL
//! (a fresh database per test at `ANNOQA_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/postgres`, dropped afterwards). Every test written with
//! [`both_backends!`] runs once on each.

mod support;

mod accounts;
mod feedback;
mod gold_exposure;
mod hostile;
mod idor;
mod import_export;
mod predictions;
mod review;
mod review_pass;
mod review_queue;
mod routes;
mod storage;
mod trust;
mod work;
