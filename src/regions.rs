//! Region tree: countries → provinces → districts built from the boundary layers, with slugs,
//! URLs, names and aliases, and point lookups that place incidents in their regions.

use std::collections::HashMap;
use std::sync::Arc;

use crate::geo::{assign_parents, Layer, LayerRole, PointIndex};
use crate::validate::vocab::country_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Country,
    Province,
    District,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Country => "Country",
            Level::Province => "Province",
            Level::District => "District",
        }
    }
}

/// A country, province or district.
#[derive(Debug, Clone)]
pub struct Region {
    /// Slug path: `balochistan`, `balochistan/quetta`, `afghanistan`, `afghanistan/kabul`.
    pub id: String,
    pub name: String,
    pub level: Level,
    /// ISO 3166-1 alpha-3.
    pub country: String,
    pub parent: Option<usize>,
    /// Sorted by name.
    pub children: Vec<usize>,
    /// (layer index, shape index) of its outline, if the geodata has one.
    pub shape: Option<(usize, usize)>,
    /// [west, south, east, north]
    pub bbox: Option<[f64; 4]>,
    /// (lon, lat) of a point well inside the region.
    pub label: Option<(f64, f64)>,
}

impl Region {
    /// Site-relative path of its page, e.g. `regions/balochistan/quetta/`. The home country's
    /// page is the regions index.
    pub fn page_path(&self, home_country: &str) -> String {
        if self.level == Level::Country && self.country == home_country {
            "regions/".to_string()
        } else {
            format!("regions/{}/", self.id)
        }
    }
}

/// All regions with lookups by id, name and point.
#[derive(Clone)]
pub struct RegionTree {
    pub regions: Vec<Region>,
    /// The country of the district layer (Pakistan).
    pub home_country: String,
    by_id: HashMap<String, usize>,
    /// (country, level, lower-case name or alias) → region
    by_name: HashMap<(String, Level, String), usize>,
    district_index: Option<(usize, Arc<PointIndex>)>,
    province_index: HashMap<String, (usize, Arc<PointIndex>)>,
}

/// `Khyber Pakhtunkhwa` → `khyber-pakhtunkhwa`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

impl RegionTree {
    /// Builds the tree from loaded layers. Districts get their province spatially.
    pub fn build(layers: &[Layer]) -> anyhow::Result<RegionTree> {
        let home_country = layers
            .iter()
            .find(|l| l.spec.role == LayerRole::Districts)
            .and_then(|l| l.spec.country.clone())
            .ok_or_else(|| anyhow::anyhow!("sitrep.toml declares no `districts` layer with a `country`; add one (see README)"))?;
        let mut tree = RegionTree {
            regions: Vec::new(),
            home_country: home_country.clone(),
            by_id: HashMap::new(),
            by_name: HashMap::new(),
            district_index: None,
            province_index: HashMap::new(),
        };
        // Countries: from context outlines, then every country a layer names.
        for (li, layer) in layers.iter().enumerate() {
            if layer.spec.role != LayerRole::Context {
                continue;
            }
            for (si, shape) in layer.shapes.iter().enumerate() {
                let iso = shape.country.clone().or_else(|| layer.spec.country.clone());
                if let Some(iso) = iso {
                    let idx = tree.ensure_country(&iso);
                    if tree.regions[idx].shape.is_none() {
                        tree.regions[idx].shape = Some((li, si));
                        tree.regions[idx].bbox = Some(rect_to_bbox(&shape.bbox));
                        tree.regions[idx].label = Some((shape.label.x(), shape.label.y()));
                    }
                }
            }
        }
        // Provinces.
        for (li, layer) in layers.iter().enumerate() {
            if layer.spec.role != LayerRole::Provinces {
                continue;
            }
            let Some(iso) = layer.spec.country.clone() else {
                anyhow::bail!(
                    "layer `{}` has role provinces but no `country`; add country = \"ISO3\"",
                    layer.spec.name
                );
            };
            let country = tree.ensure_country(&iso);
            for (si, shape) in layer.shapes.iter().enumerate() {
                tree.add(Region {
                    id: String::new(),
                    name: shape.name.clone(),
                    level: Level::Province,
                    country: iso.clone(),
                    parent: Some(country),
                    children: Vec::new(),
                    shape: Some((li, si)),
                    bbox: Some(rect_to_bbox(&shape.bbox)),
                    label: Some((shape.label.x(), shape.label.y())),
                });
            }
            tree.province_index
                .insert(iso.clone(), (li, Arc::new(PointIndex::new(&layer.shapes))));
        }
        // Districts, placed in provinces by geometry.
        for (li, layer) in layers.iter().enumerate() {
            if layer.spec.role != LayerRole::Districts {
                continue;
            }
            let iso = layer
                .spec
                .country
                .clone()
                .unwrap_or_else(|| home_country.clone());
            let country = tree.ensure_country(&iso);
            let parents = match tree.province_index.get(&iso) {
                Some((pli, _)) => assign_parents(&layer.shapes, &layers[*pli].shapes)
                    .into_iter()
                    .map(|p| p.and_then(|si| tree.find_shape(*pli, si)))
                    .collect(),
                None => vec![None; layer.shapes.len()],
            };
            for (si, shape) in layer.shapes.iter().enumerate() {
                tree.add(Region {
                    id: String::new(),
                    name: shape.name.clone(),
                    level: Level::District,
                    country: iso.clone(),
                    parent: Some(parents[si].unwrap_or(country)),
                    children: Vec::new(),
                    shape: Some((li, si)),
                    bbox: Some(rect_to_bbox(&shape.bbox)),
                    label: Some((shape.label.x(), shape.label.y())),
                });
            }
            tree.district_index = Some((li, Arc::new(PointIndex::new(&layer.shapes))));
        }
        tree.finish();
        Ok(tree)
    }

    fn find_shape(&self, layer: usize, shape: usize) -> Option<usize> {
        self.regions
            .iter()
            .position(|r| r.shape == Some((layer, shape)) && r.level != Level::Country)
    }

    /// The country region for an ISO3 code, created without an outline if the geodata has none.
    pub fn ensure_country(&mut self, iso: &str) -> usize {
        if let Some(&i) = self
            .by_name
            .get(&(iso.to_string(), Level::Country, iso.to_lowercase()))
        {
            return i;
        }
        let name = country_name(iso).unwrap_or(iso).to_string();
        let idx = self.add(Region {
            id: String::new(),
            name: name.clone(),
            level: Level::Country,
            country: iso.to_string(),
            parent: None,
            children: Vec::new(),
            shape: None,
            bbox: None,
            label: None,
        });
        self.by_name
            .insert((iso.to_string(), Level::Country, iso.to_lowercase()), idx);
        self.finish();
        idx
    }

    fn add(&mut self, region: Region) -> usize {
        let idx = self.regions.len();
        self.by_name.insert(
            (
                region.country.clone(),
                region.level,
                region.name.to_lowercase(),
            ),
            idx,
        );
        self.regions.push(region);
        idx
    }

    /// Fills ids, children lists, missing bounding boxes and the id lookup.
    fn finish(&mut self) {
        for i in 0..self.regions.len() {
            let r = &self.regions[i];
            let own = slugify(&r.name);
            let id = match (r.level, r.parent) {
                (Level::Country, _) => own,
                (_, Some(p)) => {
                    let parent = &self.regions[p];
                    if parent.level == Level::Country && parent.country == self.home_country {
                        own
                    } else {
                        format!("{}/{own}", self.id_of(p))
                    }
                }
                (_, None) => own,
            };
            self.regions[i].id = id;
        }
        for r in &mut self.regions {
            r.children.clear();
        }
        for i in 0..self.regions.len() {
            if let Some(p) = self.regions[i].parent {
                self.regions[p].children.push(i);
            }
        }
        let names: Vec<String> = self.regions.iter().map(|r| r.name.clone()).collect();
        for r in &mut self.regions {
            r.children.sort_by(|a, b| names[*a].cmp(&names[*b]));
        }
        // Countries without an outline take the union of their provinces' boxes.
        for i in 0..self.regions.len() {
            if self.regions[i].bbox.is_none() {
                let boxes: Vec<[f64; 4]> = self.regions[i]
                    .children
                    .iter()
                    .filter_map(|c| self.regions[*c].bbox)
                    .collect();
                if let Some(b) = union_bbox(&boxes) {
                    self.regions[i].bbox = Some(b);
                    self.regions[i]
                        .label
                        .get_or_insert(((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0));
                }
            }
        }
        self.by_id = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
    }

    fn id_of(&self, idx: usize) -> String {
        let r = &self.regions[idx];
        match r.parent {
            Some(p)
                if !(self.regions[p].level == Level::Country
                    && self.regions[p].country == self.home_country) =>
            {
                format!("{}/{}", self.id_of(p), slugify(&r.name))
            }
            _ => slugify(&r.name),
        }
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    pub fn country(&self, iso: &str) -> Option<usize> {
        self.by_name
            .get(&(iso.to_string(), Level::Country, iso.to_lowercase()))
            .copied()
    }

    /// A region of `level` in `country` by name or alias, case-insensitively.
    pub fn find(&self, country: &str, level: Level, name: &str) -> Option<usize> {
        self.by_name
            .get(&(country.to_string(), level, name.trim().to_lowercase()))
            .copied()
    }

    /// Adds another spelling for a region.
    pub fn add_alias(&mut self, alias: &str, region: usize) {
        let r = &self.regions[region];
        self.by_name.insert(
            (r.country.clone(), r.level, alias.trim().to_lowercase()),
            region,
        );
    }

    /// Names (not aliases) of regions of `level` in `country`, for suggestions.
    pub fn names(&self, country: &str, level: Level) -> Vec<&str> {
        self.regions
            .iter()
            .filter(|r| r.country == country && r.level == level)
            .map(|r| r.name.as_str())
            .collect()
    }

    pub fn has_provinces(&self, country: &str) -> bool {
        self.province_index.contains_key(country)
    }

    /// The home-country district containing the point.
    pub fn locate_district(&self, layers: &[Layer], lon: f64, lat: f64) -> Option<usize> {
        let (li, index) = self.district_index.as_ref()?;
        index
            .locate(&layers[*li].shapes, lon, lat)
            .and_then(|si| self.find_shape(*li, si))
    }

    /// The province of `country` containing the point.
    pub fn locate_province(
        &self,
        layers: &[Layer],
        country: &str,
        lon: f64,
        lat: f64,
    ) -> Option<usize> {
        let (li, index) = self.province_index.get(country)?;
        index
            .locate(&layers[*li].shapes, lon, lat)
            .and_then(|si| self.find_shape(*li, si))
    }

    /// Distance in km from the point to a region's outline (0 inside); None without one.
    pub fn distance_km(&self, layers: &[Layer], region: usize, lon: f64, lat: f64) -> Option<f64> {
        let (li, si) = self.regions[region].shape?;
        let shape = layers.get(li)?.shapes.get(si)?;
        Some(crate::geo::locate::distance_to_shape_km(shape, lon, lat))
    }

    /// The region and its ancestors, smallest first.
    pub fn lineage(&self, idx: usize) -> Vec<usize> {
        let mut out = vec![idx];
        let mut cur = idx;
        while let Some(p) = self.regions[cur].parent {
            out.push(p);
            cur = p;
        }
        out
    }

    /// The ancestor (or self) at `level`.
    pub fn at_level(&self, idx: usize, level: Level) -> Option<usize> {
        self.lineage(idx)
            .into_iter()
            .find(|i| self.regions[*i].level == level)
    }

    /// "Peshawar, Khyber Pakhtunkhwa" or "Kabul, Afghanistan".
    pub fn place_label(&self, idx: usize) -> String {
        let lineage = self.lineage(idx);
        let names: Vec<&str> = lineage
            .iter()
            .filter(|i| {
                let r = &self.regions[**i];
                !(r.level == Level::Country && r.country == self.home_country && lineage.len() > 1)
            })
            .map(|i| self.regions[*i].name.as_str())
            .collect();
        names.join(", ")
    }
}

pub fn rect_to_bbox(rect: &geo::Rect<f64>) -> [f64; 4] {
    [rect.min().x, rect.min().y, rect.max().x, rect.max().y]
}

pub fn union_bbox(boxes: &[[f64; 4]]) -> Option<[f64; 4]> {
    let mut iter = boxes.iter();
    let first = *iter.next()?;
    Some(iter.fold(first, |a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("Khyber Pakhtunkhwa"), "khyber-pakhtunkhwa");
        assert_eq!(slugify("Dera Ismail Khan"), "dera-ismail-khan");
        assert_eq!(slugify("Sar-e Pol"), "sar-e-pol");
        assert_eq!(slugify("  Ünïcode / x "), "n-code-x");
    }
}
