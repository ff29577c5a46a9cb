//! Geography: great-circle distances for check-ins (and, later, dispatch).

/// Mean Earth radius in kilometres (IUGG), the one the dispatch benchmark uses.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in kilometres between two points given in degrees (haversine).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_peoples_square_to_pudong_airport_is_about_thirty_km() {
        let d = haversine_km(31.2304, 121.4737, 31.1443, 121.8083);
        assert!((d - 33.3).abs() < 1.0, "{d}");
    }

    #[test]
    fn a_point_is_zero_from_itself() {
        assert_eq!(haversine_km(31.0, 121.0, 31.0, 121.0), 0.0);
    }
}
