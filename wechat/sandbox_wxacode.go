package wechat

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"

	qrcode "github.com/yeqown/go-qrcode/v2"
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
// wide, black on white with the four-module quiet zone readers need.
func QRCodePNG(text string, width int) ([]byte, error) {
	qr, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, err
	}
	var m bitmapWriter
	if err := qr.Save(&m); err != nil {
		return nil, err
	}
	const quiet = 4
	n := len(m.bits) + 2*quiet
	scale := max(1, width/n)
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
	for y, row := range m.bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetColorIndex((x+quiet)*scale+dx, (y+quiet)*scale+dy, 1)
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

// bitmapWriter keeps the QR code's modules, dark as true.
type bitmapWriter struct{ bits [][]bool }

func (w *bitmapWriter) Write(m qrcode.Matrix) error { w.bits = m.Bitmap(); return nil }
func (w *bitmapWriter) Close() error                { return nil }
