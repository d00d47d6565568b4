package wechat

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/skip2/go-qrcode"
)

// MiniProgramCode implements API: with no WeChat to draw a mini-program code, the sandbox draws
// a standard QR code of the scene, which the browser simulator (or any QR reader) can scan.
func (Sandbox) MiniProgramCode(_ context.Context, r CodeRequest) (Image, error) {
	if err := r.check(); err != nil {
		return Image{}, err
	}
	b, err := QRCodePNG(r.Scene, max(r.Width, 280))
	if err != nil {
		return Image{}, err
	}
	return Image{Bytes: b, ContentType: "image/png"}, nil
}

// QRCodePNG draws text as a standard QR code (medium error correction) about width pixels
// wide, black on white with the four-module quiet zone readers need. The same text always gives
// the same bytes (skip2/go-qrcode picks its mask in a fixed order), so a cached code can be
// compared with a fresh one.
func QRCodePNG(text string, width int) ([]byte, error) {
	qr, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		return nil, err
	}
	bits := qr.Bitmap() // the quiet zone included
	n := len(bits)
	scale := max(1, width/n)
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex(x*scale+dx, y*scale+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
