//! The sandbox: demo identity providers, demo service providers and test
//! citizens, all real HTTP servers on loopback ports, started by one command.

pub mod citizens;
pub mod fi;
pub mod fs;
