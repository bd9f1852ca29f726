package synth

import "strconv"

// The appenders below keep the hot loop free of fmt and time.Format.

// appendRFC3339 appends the UTC instant t (Unix seconds) as
// 2006-01-02T15:04:05Z.
func appendRFC3339(b []byte, t int64) []byte {
	days := t / 86400
	sec := t % 86400
	if sec < 0 {
		sec += 86400
		days--
	}
	return appendClock(appendDate(b, days), sec)
}

// appendClock appends the time of day sec (0 <= sec < 86400) as T15:04:05Z.
func appendClock(b []byte, sec int64) []byte {
	h, m, s := sec/3600, sec/60%60, sec%60
	return append(b, 'T',
		byte('0'+h/10), byte('0'+h%10), ':',
		byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+s/10), byte('0'+s%10), 'Z')
}

// appendDate appends the day that is days after 1970-01-01 as 2006-01-02.
func appendDate(b []byte, days int64) []byte {
	y, m, d := civil(days)
	if y < 0 || y > 9999 {
		return strconv.AppendInt(b, y, 10)
	}
	return append(b,
		byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-',
		byte('0'+d/10), byte('0'+d%10))
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's civil_from_days).
func civil(days int64) (year, month, day int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// appendCents appends an amount held in hundredths as a decimal with two
// places and a '.' separator: -1234 becomes -12.34.
func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	b = strconv.AppendInt(b, c/100, 10)
	f := c % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// appendPadded appends n in decimal, left-padded with zeros to width digits.
func appendPadded(b []byte, n int64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for n > 0 || i == len(tmp) {
		i--
		tmp[i] = byte('0' + n%10)
		n /= 10
	}
	for k := len(tmp) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// appendCSV appends one CSV field, quoted when it holds a separator, a quote
// or a line break (RFC 4180).
func appendCSV(b []byte, s string, sep byte) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == sep || c == '"' || c == '\n' || c == '\r' {
			quote = true
			break
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendJSONString appends s as a JSON string literal.
func appendJSONString(b []byte, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// digits returns the number of decimal digits of n (n >= 0).
func digits(n int64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
