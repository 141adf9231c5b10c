//! A roster as a workbook: agents × days with the shift code in each cell, colored like the
//! grid, the period and status on top, a sheet of coverage per queue; every cell
//! neutralized against formulas.

use super::rosters::RosterDetail;
use crate::error::AppError;
use crate::i18n::Tr;
use kefu_domain::export::neutralize_cell as safe;
use rust_xlsxwriter::{Color, Format, Workbook, Worksheet, XlsxError};

fn color_of(hex: &str) -> Option<Color> {
    u32::from_str_radix(hex.strip_prefix('#')?, 16)
        .ok()
        .map(Color::RGB)
}

/// The roster (排班表) with its coverage.
pub fn roster(t: &Tr<'_>, r: &RosterDetail) -> Result<Vec<u8>, AppError> {
    let write = || -> Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let big = Format::new().set_bold().set_font_size(14);
        let s = &r.summary;
        let ws: &mut Worksheet = wb.add_worksheet();
        ws.set_name(t.t("schedule.roster"))?;
        ws.write_string_with_format(0, 0, safe(&s.name), &big)?;
        let filter = format!(
            "{}: {} – {} · {}: {}",
            t.t("schedule.period"),
            s.start_date,
            s.end_date,
            t.t("schedule.status"),
            t.t(&format!("schedule.status_{}", s.status))
        );
        ws.write_string(1, 0, safe(&filter))?;
        ws.write_string_with_format(3, 0, safe(t.t("schedule.agent")), &bold)?;
        for (i, d) in r.dates.iter().enumerate() {
            ws.write_string_with_format(3, 1 + i as u16, safe(&d.date[5..]), &bold)?;
        }
        let last = 1 + r.dates.len() as u16;
        ws.write_string_with_format(3, last, safe(t.t("schedule.hours")), &bold)?;
        for (row, g) in r.grid.iter().enumerate() {
            let y = 4 + row as u32;
            ws.write_string(y, 0, safe(&g.name))?;
            for (i, c) in g.cells.iter().enumerate() {
                if let Some(code) = &c.code {
                    let mut f = Format::new();
                    if let Some(color) = c.color.as_deref().and_then(color_of) {
                        f = f.set_background_color(color);
                    }
                    ws.write_string_with_format(y, 1 + i as u16, safe(code), &f)?;
                }
            }
            ws.write_number(y, last, g.worked_minutes as f64 / 60.0)?;
        }
        for q in &r.coverage {
            let ws = wb.add_worksheet();
            let name: String = format!("{} {}", t.t("schedule.coverage"), q.queue)
                .chars()
                .take(31)
                .collect();
            ws.set_name(name.replace(['[', ']', ':', '*', '?', '/', '\\'], " "))?;
            ws.write_string_with_format(0, 0, safe(t.t("schedule.coverage_note")), &bold)?;
            for (i, d) in r.dates.iter().enumerate() {
                ws.write_string_with_format(1, 1 + i as u16, safe(&d.date[5..]), &bold)?;
            }
            let gap = Format::new().set_background_color(Color::RGB(0xF8D7DA));
            for (row, c) in q.rows.iter().enumerate() {
                let y = 2 + row as u32;
                ws.write_string(y, 0, safe(&c.time))?;
                for (i, (need, have)) in c.required.iter().zip(&c.scheduled).enumerate() {
                    let text = format!("{have}/{need}");
                    if have < need {
                        ws.write_string_with_format(y, 1 + i as u16, text, &gap)?;
                    } else {
                        ws.write_string(y, 1 + i as u16, text)?;
                    }
                }
            }
        }
        wb.save_to_buffer()
    };
    write().map_err(|e| AppError::Internal(e.into()))
}
