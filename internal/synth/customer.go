package synth

import (
	"math/rand/v2"
	"strconv"
	"unicode/utf8"
)

// customerRecords writes the person's record in every source that knows them.
func (c *chunk) customerRecords(signup int64) {
	w, r, p := c.w, c.r, &c.p
	cal := w.cal
	ctry := &countries[p.country]
	city := ctry.cities[pick(r, w.cityCum[p.country])]
	newCity, moveAt := city, cal.end
	if r.Float64() < 0.08 {
		newCity = ctry.cities[pick(r, w.cityCum[p.country])]
		if newCity != city {
			moveAt = signup + int64(r.Float64()*float64(cal.end-signup))
			c.st.Movers++
		}
	}
	cityAt := func(t int64) string {
		if t >= moveAt {
			return newCity
		}
		return city
	}
	updated := func() int64 { return signup + int64(r.Float64()*float64(cal.end-signup)) }

	// E-mail: unique through a number derived from the person.
	var email [96]byte
	e := email[:0]
	switch r.IntN(5) {
	case 0:
		e = append(append(append(e, p.first.ascii...), '.'), p.last.ascii...)
	case 1:
		e = append(append(append(e, p.first.ascii...), '_'), p.last.ascii...)
	case 2:
		e = append(append(e, p.first.ascii[0]), p.last.ascii...)
	case 3:
		e = append(append(append(e, p.last.ascii...), '.'), p.first.ascii...)
	default:
		e = append(e, p.first.ascii...)
	}
	e = strconv.AppendInt(e, w.emailNo.at(p.no), 10)
	e = append(e, '@')
	e = append(e, emailDomains[pick(r, w.domainCum)]...)

	// Phone: country code, mobile prefix, eight digits unique to the person.
	var nat [16]byte
	n := append(nat[:0], ctry.mobile[r.IntN(len(ctry.mobile))]...)
	n = appendPadded(n, w.phoneNo.at(p.no), 8)

	if p.crm {
		b := c.buf[outCRM]
		b = append(b, p.crmID...)
		b = append(b, ',')
		switch {
		case !p.shop && r.Float64() < 0.03:
			// no e-mail
		case !p.shop && r.Float64() < 0.02:
			b = appendInvalidEmail(b, e)
			c.st.InvalidEmails++
		default:
			b = append(b, e...)
		}
		b = append(b, ',')
		switch {
		case !p.pos && r.Float64() < 0.1:
			// no phone
		case !p.pos && r.Float64() < 0.02:
			b = strconv.AppendInt(b, 1000+r.Int64N(99000), 10)
			c.st.InvalidPhones++
		default:
			b = appendPhone(b, ctry.cc, n, r.IntN(nPhoneFormats))
		}
		b = append(b, ',')
		b = appendName(b, p, 0)
		b = append(b, ',')
		switch g := r.Float64(); {
		case g < 0.1:
		case p.female:
			b = append(b, "female"...)
		default:
			b = append(b, "male"...)
		}
		b = append(b, ',')
		endDay := floorDiv(cal.end, day)
		switch u := r.Float64(); {
		case u < 0.08:
		case u < 0.085:
			b = appendDate(b, endDay+30+r.Int64N(3000))
			c.st.InvalidBirthDates++
		default:
			age := 18 + min(62, gamma(r, 3, 7))
			b = appendDate(b, endDay-int64(age*365.25))
		}
		b = append(b, ',')
		u := updated()
		b = append(b, cityAt(u)...)
		b = append(b, ',')
		b = append(b, ctry.code...)
		b = append(b, ',')
		b = appendRFC3339(b, signup)
		b = append(b, ',')
		b = appendRFC3339(b, u)
		b = append(b, ',')
		switch x := r.Float64(); {
		case x < 0.5+0.1*p.ps:
			b = append(b, "opt_in"...)
		case x < 0.75:
			b = append(b, "opt_out"...)
		}
		b = append(b, ',')
		switch x := r.Float64(); {
		case x < 0.3:
			b = append(b, "opt_in"...)
		case x < 0.55:
			b = append(b, "opt_out"...)
		}
		c.buf[outCRM] = append(b, '\n')
		c.rows[outCRM]++
	}

	if p.shop {
		var tmp [128]byte
		b := c.buf[outShopCustomers]
		b = append(b, `{"customer":"`...)
		b = append(b, p.shopID...)
		b = append(b, `","email":`...)
		switch {
		case !p.crm && r.Float64() < 0.02:
			b = appendJSONString(b, appendInvalidEmail(tmp[:0], e))
			c.st.InvalidEmails++
		case p.crm:
			b = appendJSONString(b, messEmail(r, tmp[:0], e))
			c.st.SharedEmails++
		default:
			b = appendJSONString(b, e)
		}
		b = append(b, `,"name":`...)
		b = appendJSONString(b, appendName(tmp[:0], p, 1+r.IntN(10)/9))
		u := updated()
		b = append(b, `,"city":`...)
		b = appendJSONString(b, append(tmp[:0], cityAt(u)...))
		b = append(b, `,"country":"`...)
		b = append(b, ctry.code...)
		b = append(b, `","updated":"`...)
		b = appendRFC3339(b, u)
		c.buf[outShopCustomers] = append(b, "\"}\n"...)
		c.rows[outShopCustomers]++
	}

	if p.pos {
		b := c.buf[outPOSCustomers]
		b = append(b, p.posID...)
		b = append(b, '\t')
		switch {
		case !p.crm && r.Float64() < 0.02:
			b = strconv.AppendInt(b, 1000+r.Int64N(99000), 10)
			c.st.InvalidPhones++
		default:
			b = appendPhone(b, ctry.cc, n, r.IntN(nPhoneFormats))
			if p.crm {
				c.st.SharedPhones++
			}
		}
		b = append(b, '\t')
		nameStyle := 0
		if r.Float64() < 0.3 {
			nameStyle = 3
		}
		b = appendName(b, p, nameStyle)
		b = append(b, '\t')
		u := updated()
		b = append(b, cityAt(u)...)
		b = append(b, '\t')
		b = appendRFC3339(b, u)
		c.buf[outPOSCustomers] = append(b, '\n')
		c.rows[outPOSCustomers]++
	}
}

// appendName writes the person's name: 0 "Ana Li", 1 the same, 2 "ana li",
// 3 "A. Li".
func appendName(b []byte, p *person, style int) []byte {
	switch style {
	case 2:
		start := len(b)
		b = append(append(append(b, p.first.text...), ' '), p.last.text...)
		for i := start; i < len(b); i++ {
			if 'A' <= b[i] && b[i] <= 'Z' {
				b[i] += 'a' - 'A'
			}
		}
		return b
	case 3:
		_, n := utf8.DecodeRuneInString(p.first.text) // the whole first letter, not its first byte
		return append(append(append(b, p.first.text[:n]...), '.', ' '), p.last.text...)
	default:
		return append(append(append(b, p.first.text...), ' '), p.last.text...)
	}
}

// messEmail writes e with random case and surrounding white space, as people
// type it into a web form.
func messEmail(r *rand.Rand, b, e []byte) []byte {
	if r.Float64() < 0.3 {
		return append(b, e...)
	}
	switch r.IntN(4) {
	case 0:
		b = append(b, ' ')
	case 1:
		b = append(b, ' ', ' ')
	}
	start := len(b)
	b = append(b, e...)
	switch r.IntN(3) {
	case 0: // Capitalised words: Ana.Li@Example.com
		up := true
		for i := start; i < len(b); i++ {
			ch := b[i]
			if up && 'a' <= ch && ch <= 'z' {
				b[i] = ch - 'a' + 'A'
			}
			up = ch == '.' || ch == '_' || ch == '@'
		}
	case 1: // all upper case
		for i := start; i < len(b); i++ {
			if 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
	default: // upper-case domain only
		at := false
		for i := start; i < len(b); i++ {
			at = at || b[i] == '@'
			if at && 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
	}
	if r.IntN(3) == 0 {
		b = append(b, ' ')
	}
	if r.IntN(10) == 0 {
		b = append(b, '\t')
	}
	return b
}

// appendInvalidEmail writes e without its '@'.
func appendInvalidEmail(b, e []byte) []byte {
	for _, ch := range e {
		if ch != '@' {
			b = append(b, ch)
		} else {
			b = append(b, '.')
		}
	}
	return b
}

// nPhoneFormats is the number of formats appendPhone knows.
const nPhoneFormats = 6

// appendPhone writes a phone number in one of several international
// formats; all reduce to cc+nat once non-digits and a leading 00 are removed.
func appendPhone(b []byte, cc string, nat []byte, format int) []byte {
	switch format {
	case 0: // +44 7700 900123
		b = append(append(append(b, '+'), cc...), ' ')
		b = append(append(append(b, nat[:4]...), ' '), nat[4:]...)
	case 1: // 0044-7700-900123
		b = append(append(append(b, '0', '0'), cc...), '-')
		b = append(append(append(b, nat[:4]...), '-'), nat[4:]...)
	case 2: // +447700900123
		b = append(append(append(b, '+'), cc...), nat...)
	case 3: // (+44) 770-090-0123
		b = append(append(append(b, '(', '+'), cc...), ')', ' ')
		b = append(append(append(append(append(b, nat[:3]...), '-'), nat[3:6]...), '-'), nat[6:]...)
	case 4: // 0044 7700900123
		b = append(append(append(b, '0', '0'), cc...), ' ')
		b = append(b, nat...)
	default: // +44-770-0900123
		b = append(append(append(b, '+'), cc...), '-')
		b = append(append(append(b, nat[:3]...), '-'), nat[3:]...)
	}
	return b
}
