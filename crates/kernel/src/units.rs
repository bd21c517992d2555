//! The official catalogue of administrative units (July 2025 reform), built into the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

use crate::text::{fold_vi, folded_words_match};

const DATA: &str = include_str!("../data/admin-units-2025.tsv");

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Province {
    /// GSO code, two digits.
    pub code: String,
    pub name: String,
    /// `tỉnh` or `thành phố trung ương`.
    pub unit_type: String,
}

impl Province {
    /// The name as written on official documents: "Tỉnh Nghệ An", "Thành phố Hà Nội".
    pub fn display_name(&self) -> String {
        if self.unit_type == "tỉnh" && !self.name.starts_with("Tỉnh") {
            format!("Tỉnh {}", self.name)
        } else {
            self.name.clone()
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CommuneUnit {
    /// GSO code, five digits.
    pub code: String,
    pub name: String,
    /// `xã`, `phường` or `đặc khu`.
    pub unit_type: String,
    pub province_code: String,
    #[serde(skip)]
    #[schema(ignore)]
    pub folded: String,
}

pub struct Catalogue {
    pub provinces: Vec<Province>,
    pub communes: Vec<CommuneUnit>,
    by_code: HashMap<String, usize>,
    province_by_code: HashMap<String, usize>,
}

impl Catalogue {
    fn parse(data: &str) -> Self {
        let mut provinces = Vec::new();
        let mut communes = Vec::new();
        for line in data
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let mut f = line.split('\t');
            let (kind, code, name, ty) = (f.next(), f.next(), f.next(), f.next());
            let (Some(kind), Some(code), Some(name), Some(ty)) = (kind, code, name, ty) else {
                continue;
            };
            match kind {
                "P" => provinces.push(Province {
                    code: code.into(),
                    name: name.into(),
                    unit_type: ty.into(),
                }),
                "C" => {
                    let province_code = provinces
                        .last()
                        .map(|p: &Province| p.code.clone())
                        .unwrap_or_default();
                    // Searching "minh hop nghe an" should work too: fold the province in.
                    let province_name = provinces.last().map(|p| p.name.as_str()).unwrap_or("");
                    communes.push(CommuneUnit {
                        code: code.into(),
                        name: name.into(),
                        unit_type: ty.into(),
                        province_code,
                        folded: fold_vi(&format!("{name} {province_name}")),
                    })
                }
                _ => {}
            }
        }
        let by_code = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        let province_by_code = provinces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.code.clone(), i))
            .collect();
        Catalogue {
            provinces,
            communes,
            by_code,
            province_by_code,
        }
    }

    pub fn commune(&self, code: &str) -> Option<&CommuneUnit> {
        self.by_code.get(code).map(|&i| &self.communes[i])
    }

    pub fn province(&self, code: &str) -> Option<&Province> {
        self.province_by_code.get(code).map(|&i| &self.provinces[i])
    }

    pub fn communes_of(&self, province_code: &str) -> impl Iterator<Item = &CommuneUnit> {
        self.communes
            .iter()
            .filter(move |c| c.province_code == province_code)
    }

    /// Diacritic-insensitive search by name (word prefixes) or exact code.
    pub fn search(&self, query: &str, province: Option<&str>, limit: usize) -> Vec<&CommuneUnit> {
        let q = fold_vi(query);
        self.communes
            .iter()
            .filter(|c| province.is_none_or(|p| c.province_code == p))
            .filter(|c| {
                c.code == query.trim() || (!q.is_empty() && folded_words_match(&c.folded, &q))
            })
            .take(limit)
            .collect()
    }
}

/// The catalogue, parsed once on first use.
pub fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| Catalogue::parse(DATA))
}

/// Normalises a commune code typed with or without zero padding ("17071", "2269" → "02269").
pub fn normalise_commune_code(code: &str) -> Option<String> {
    let code = code.trim();
    if code.is_empty() || code.len() > 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{:0>5}", code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complete_catalogue() {
        let c = catalogue();
        assert_eq!(c.provinces.len(), 34);
        assert_eq!(c.communes.len(), 3321);
        let minh_hop = c.commune("17071").unwrap();
        assert_eq!(minh_hop.name, "Xã Minh Hợp");
        let nghe_an = c.province(&minh_hop.province_code).unwrap();
        assert_eq!(nghe_an.display_name(), "Tỉnh Nghệ An");
        assert_eq!(c.province("01").unwrap().display_name(), "Thành phố Hà Nội");
    }

    #[test]
    fn search_is_diacritic_insensitive() {
        let c = catalogue();
        for q in ["thuong lam", "Thuong Lâm", "THƯỢNG LÂM"] {
            let hits = c.search(q, None, 20);
            assert!(hits.iter().any(|u| u.name == "Xã Thượng Lâm"), "{q}");
        }
        let hits = c.search("dong da", None, 20);
        assert!(hits.iter().any(|u| u.name == "Phường Đống Đa"));
        assert_eq!(c.search("17071", None, 5)[0].name, "Xã Minh Hợp");
    }

    #[test]
    fn code_normalisation() {
        assert_eq!(normalise_commune_code("2269").as_deref(), Some("02269"));
        assert_eq!(normalise_commune_code("17071").as_deref(), Some("17071"));
        assert_eq!(normalise_commune_code("abc"), None);
        assert_eq!(normalise_commune_code("123456"), None);
    }
}
