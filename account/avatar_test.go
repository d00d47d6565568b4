package account_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"wxbind/account"
	"wxbind/account/avatartest"
)

func photo(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x ^ y), uint8(x * 3), uint8(y * 5), 255})
		}
	}
	return img
}

func TestCleanAvatarKeepsPixelsAndType(t *testing.T) {
	var pngBuf, jpgBuf bytes.Buffer
	png.Encode(&pngBuf, photo(100, 60))
	jpeg.Encode(&jpgBuf, photo(100, 60), nil)
	for name, tc := range map[string]struct {
		in  []byte
		ext string
	}{"png": {pngBuf.Bytes(), ".png"}, "jpeg": {jpgBuf.Bytes(), ".jpg"}} {
		out, ext, err := account.CleanAvatar(tc.in)
		if err != nil || ext != tc.ext {
			t.Fatalf("%s: %q %v", name, ext, err)
		}
		img, _, err := image.Decode(bytes.NewReader(out))
		if err != nil || img.Bounds().Dx() != 100 || img.Bounds().Dy() != 60 {
			t.Fatalf("%s: re-encoded image %v %v", name, img, err)
		}
	}
	// A PNG header claiming a huge picture is refused before any pixel is decoded.
	huge := pngBuf.Bytes()[:33] // signature + IHDR only
	huge = append([]byte(nil), huge...)
	copy(huge[16:24], []byte{0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40}) // 40000 × 40000
	binary.BigEndian.PutUint32(huge[29:33], crc32.ChecksumIEEE(huge[12:29]))
	if _, _, err := account.CleanAvatar(huge); !errors.Is(err, account.ErrInvalidInput) || !strings.Contains(err.Error(), "40000×40000 pixels") {
		t.Fatalf("40000×40000 header: want the size refused, got %v", err)
	}
}

// TestCleanAvatarRefusesDecodeBombs: the shapes of issue 11's CPU and memory bombs are refused
// from their headers, with a message that names the limit; the same shapes within the limits
// are real images that decode.
func TestCleanAvatarRefusesDecodeBombs(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want string // in the error; "" means accepted
	}{
		{"4096×4096 progressive JPEG, 4000 scans (CPU bomb)", avatartest.ProgressiveJPEG(4096, 4096, 4000), "4096×4096 pixels"},
		{"1024×1024 progressive JPEG, 2000 scans", avatartest.ProgressiveJPEG(1024, 1024, 2000), "more than 32 scans"},
		{"1024×1024 progressive JPEG, 33 scans", avatartest.ProgressiveJPEG(1024, 1024, 32), "more than 32 scans"},
		{"1024×1024 progressive JPEG, 2000 scans behind stray bytes", bytes.ReplaceAll(avatartest.ProgressiveJPEG(1024, 1024, 2000), []byte{0xFF, 0xDA}, []byte{0, 0xFF, 0xDA}), "more than 32 scans"},
		{"1024×1024 progressive JPEG, 32 scans", avatartest.ProgressiveJPEG(1024, 1024, 31), ""},
		{"4096×4096 16-bit PNG (memory bomb)", avatartest.PNG16(4096, 4096), "4096×4096 pixels"},
		{"1025×16 16-bit PNG", avatartest.PNG16(1025, 16), "1025×16 pixels"},
		{"1024×16 16-bit PNG, within budget", avatartest.PNG16(1024, 16), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := account.CleanAvatar(tc.file)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				img, _, err := image.Decode(bytes.NewReader(out))
				if err != nil || img.Bounds().Dx() != 1024 || img.Bounds().Dy() < 16 {
					t.Fatalf("re-encoded: %v %v", img, err)
				}
				return
			}
			var in *account.InputError
			if !errors.As(err, &in) || in.Field != "file" || in.Key == "" || in.Data["Max"] == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an input error on file with a catalog key and the limit, saying %q; got %#v", tc.want, err)
			}
		})
	}
}

// BenchmarkCleanAvatar measures checking and re-encoding a typical 640×640 avatar.
func BenchmarkCleanAvatar(b *testing.B) {
	var jpgBuf, pngBuf bytes.Buffer
	jpeg.Encode(&jpgBuf, photo(640, 640), &jpeg.Options{Quality: 85})
	png.Encode(&pngBuf, photo(640, 640))
	for name, in := range map[string][]byte{"jpeg": jpgBuf.Bytes(), "png": pngBuf.Bytes()} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, _, err := account.CleanAvatar(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
