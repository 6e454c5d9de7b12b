//! plumb's CLI, tested as users run it: the real binary against real
//! PostgreSQL servers that the tests start through plumb's own cluster code.

mod apply;
mod concurrency;
mod contract;
mod corpus;
mod crash;
mod drift;
mod interop;
mod lint;
mod local;
mod network;
mod preflight;
mod repair;
mod replay;
mod sabotage;
mod schema;
mod secrets;
mod support;
mod tools;
