//! Components. The drop zone and file list are small and presentational; the report view
//! renders a whole [`crate::report::Report`] typed from the model (Yew text nodes only), with
//! the content diff and export buttons in their own modules.

pub mod content_diff;
pub mod drop_zone;
pub mod entries;
pub mod export;
pub mod file_list;
pub mod report_view;
