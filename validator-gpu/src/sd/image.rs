//! Output images: PNG encoding and the 64-bit perceptual hash the chain compares.
//!
//! The hash is the DCT hash of Zauner's pHash thesis (2010): grayscale, 32×32 area average,
//! 2-D DCT-II, the 8×8 lowest frequencies, one bit per coefficient above their median (DC
//! left out of the median). Replicas whose floating point differs slightly (other CPUs, a
//! GPU) land within a few bits; a different image lands near 32.

use anyhow::{ensure, Context, Result};

/// An 8-bit RGB image, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

impl RgbImage {
    pub fn new(width: u32, height: u32, pixels: Vec<u8>) -> Result<Self> {
        ensure!(
            pixels.len() == width as usize * height as usize * 3,
            "{} bytes is not a {width}x{height} RGB image",
            pixels.len()
        );
        Ok(RgbImage {
            width,
            height,
            pixels,
        })
    }

    pub fn to_png(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().context("PNG header")?;
            w.write_image_data(&self.pixels).context("PNG data")?;
        }
        Ok(out)
    }

    pub fn from_png(bytes: &[u8]) -> Result<Self> {
        let dec = png::Decoder::new(bytes);
        let mut reader = dec.read_info().context("reading PNG header")?;
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).context("decoding PNG")?;
        ensure!(
            info.color_type == png::ColorType::Rgb && info.bit_depth == png::BitDepth::Eight,
            "expected 8-bit RGB, got {:?} {:?}",
            info.color_type,
            info.bit_depth
        );
        buf.truncate(info.buffer_size());
        RgbImage::new(info.width, info.height, buf)
    }

    /// The 64-bit DCT perceptual hash.
    pub fn phash(&self) -> u64 {
        const N: usize = 32;
        let (w, h) = (self.width as usize, self.height as usize);
        // Area-average luminance onto a 32×32 grid.
        let mut grid = [[0f64; N]; N];
        let mut count = [[0u32; N]; N];
        for y in 0..h {
            for x in 0..w {
                let p = &self.pixels[(y * w + x) * 3..][..3];
                let luma =
                    0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
                let (gy, gx) = (y * N / h, x * N / w);
                grid[gy][gx] += luma;
                count[gy][gx] += 1;
            }
        }
        for (row, c) in grid.iter_mut().zip(&count) {
            for (v, n) in row.iter_mut().zip(c) {
                *v /= f64::from((*n).max(1));
            }
        }
        // Separable DCT-II, keeping the 8 lowest frequencies in each direction.
        let basis: Vec<[f64; N]> = (0..8)
            .map(|k| {
                let mut b = [0f64; N];
                for (n, v) in b.iter_mut().enumerate() {
                    *v = (std::f64::consts::PI / N as f64 * (n as f64 + 0.5) * k as f64).cos();
                }
                b
            })
            .collect();
        let mut rows = [[0f64; 8]; N];
        for (y, row) in grid.iter().enumerate() {
            for (k, b) in basis.iter().enumerate() {
                rows[y][k] = row.iter().zip(b).map(|(a, b)| a * b).sum();
            }
        }
        let mut coeffs = [0f64; 64];
        for (ky, b) in basis.iter().enumerate() {
            for kx in 0..8 {
                coeffs[ky * 8 + kx] = (0..N).map(|y| rows[y][kx] * b[y]).sum();
            }
        }
        let mut ac: Vec<f64> = coeffs[1..].to_vec();
        ac.sort_by(f64::total_cmp);
        let median = (ac[31] + ac[32]) / 2.0;
        coeffs.iter().enumerate().fold(
            0u64,
            |h, (i, c)| if *c > median { h | 1 << (63 - i) } else { h },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 3]) -> RgbImage {
        let mut px = Vec::new();
        for y in 0..h {
            for x in 0..w {
                px.extend(f(x, y));
            }
        }
        RgbImage::new(w, h, px).unwrap()
    }

    #[test]
    fn png_round_trips() {
        let img = pattern(24, 16, |x, y| [x as u8 * 10, y as u8 * 15, 7]);
        assert_eq!(RgbImage::from_png(&img.to_png().unwrap()).unwrap(), img);
        assert!(RgbImage::from_png(b"not a png").is_err());
    }

    #[test]
    fn phash_tolerates_noise_and_separates_images() {
        // Smooth scenes, as generated images are; flat-coloured tiles would leave most DCT
        // coefficients near the median, where any noise flips them.
        let scene = |fx: f64, fy: f64, phase: f64| {
            move |x: u32, y: u32| {
                let v = 128.0 + 90.0 * (x as f64 / fx + phase).sin() * (y as f64 / fy).cos();
                [v as u8, (255.0 - v) as u8, (v / 2.0) as u8]
            }
        };
        let a = pattern(64, 64, scene(9.0, 13.0, 0.0));
        let noisy = pattern(64, 64, |x, y| {
            let p = &a.pixels[((y * 64 + x) * 3) as usize..][..3];
            let n = ((x * 7 + y * 13) % 5) as u8; // small perturbation
            [
                p[0].saturating_add(n),
                p[1].saturating_sub(n),
                p[2].saturating_add(n),
            ]
        });
        let b = pattern(64, 64, scene(5.0, 17.0, 1.3));
        let d = |x: u64, y: u64| (x ^ y).count_ones();
        assert!(
            d(a.phash(), noisy.phash()) <= 4,
            "{}",
            d(a.phash(), noisy.phash())
        );
        assert!(d(a.phash(), b.phash()) >= 16, "{}", d(a.phash(), b.phash()));
    }
}
