use super::*;

/// A large photo comes out at most 320 px a side, in its proportions, as a JPEG; what is
/// not an image gives none.
#[test]
fn thumbnails_are_small_jpegs() {
    let big = image::RgbImage::from_fn(1000, 500, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(big)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let small = thumbnail(&png).unwrap();
    assert!(small.starts_with(b"\xFF\xD8\xFF"));
    let back = image::load_from_memory(&small).unwrap();
    assert_eq!((back.width(), back.height()), (320, 160));
    assert_eq!(thumbnail(b"%PDF-1.4"), None);
}
