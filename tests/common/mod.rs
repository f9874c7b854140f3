//! Helpers shared by the integration tests: the reference implementations and a
//! counting allocator, written once.
#![allow(dead_code)] // each test binary uses a part

pub mod counting_alloc;
#[path = "../../src/linalg/reference.rs"]
pub mod reference;
