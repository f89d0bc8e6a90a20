//! Small presentational components: they receive data and callbacks as props and keep no
//! state beyond what their own interaction needs (e.g. drag highlight).

pub mod drop_zone;
pub mod file_list;
