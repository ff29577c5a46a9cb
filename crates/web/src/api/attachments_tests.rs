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

/// An upload counts as an image only when it decodes whole: PNG's eight magic bytes and then
/// anything else do not, nor does a PNG cut short; a PDF must end as one.
#[test]
fn only_whole_files_pass() {
    let img = image::RgbImage::from_fn(40, 30, |x, _| image::Rgb([x as u8, 0, 0]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    assert!(thumbnail(&png).is_some());
    assert!(thumbnail(&png[..png.len() / 2]).is_none());
    let mut disguised = b"\x89PNG\r\n\x1a\n".to_vec();
    disguised.extend_from_slice(b"<svg onload=alert(1)>");
    assert_eq!(sniff(&disguised), Some("image/png"));
    assert!(thumbnail(&disguised).is_none());
    assert!(ends_as_pdf(b"%PDF-1.4\n1 0 obj\n...\n%%EOF\n"));
    assert!(!ends_as_pdf(b"%PDF-1.4\n<html><script>"));
}

/// A see-through picture (a signature drawn on a transparent canvas) is shown on white, as on
/// paper, not on black.
#[test]
fn transparent_pixels_become_white_in_a_thumbnail() {
    let img = image::RgbaImage::from_fn(20, 10, |x, _| {
        if x < 10 {
            image::Rgba([0, 0, 0, 0])
        } else {
            image::Rgba([0, 0, 255, 255])
        }
    });
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let back = image::load_from_memory(&thumbnail(&png).unwrap())
        .unwrap()
        .into_rgb8();
    let (w, h) = (back.width(), back.height());
    let [r, g, b] = back.get_pixel(w / 5, h / 2).0;
    assert!(r > 240 && g > 240 && b > 240, "transparent: {r},{g},{b}");
    let [r, g, b] = back.get_pixel(w * 4 / 5, h / 2).0;
    assert!(r < 30 && g < 30 && b > 200, "opaque blue: {r},{g},{b}");
}
