package main

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/raadzaam/raadzaam/courses"
)

// inviteLimit bounds how many invitation requests (a form or an upload)
// one person may send per hour.
var inviteLimit = courses.LimitPolicy{Window: time.Hour, Free: 30, BaseLock: 10 * time.Minute, MaxLock: 6 * time.Hour}

// countInvitation counts an invitation request of the signed-in user and
// of the client address, and refuses it when either limit is reached.
func (a *application) countInvitation(c *fiber.Ctx) error {
	for _, key := range []string{"invite:user:" + itoa(int(userFrom(c).ID)), "invite:ip:" + a.auth.pseudonym(c.IP())} {
		until, err := a.auth.limiter.Fail(c.UserContext(), key, inviteLimit)
		if err != nil {
			return err
		}
		if !until.IsZero() {
			return &courses.Error{Code: courses.ERATELIMIT, Message: "too many invitations",
				Problems: []courses.Problem{{Key: courses.ProblemLockedUntil, Args: map[string]any{"until": until}}}}
		}
	}
	return nil
}

// membersView is the data of an association's member page.
type membersView struct {
	Association *courses.Association
	Members     []*courses.User
	Invite      inviteForm
	Problems    map[string]string // the single invitation's fields
	Upload      []string          // the upload's problems, one per line
	Invited     int
}

// associationForAdmin returns the association of the route when the
// signed-in user administers it (or is an admin), and ENOTFOUND otherwise:
// whoever may not see an association does not learn that it exists.
func (a *application) associationForAdmin(c *fiber.Ctx) (*courses.Association, error) {
	ctx := c.UserContext()
	slug := c.Params("slug")
	if !courses.ValidSlug(slug) {
		return nil, courses.Errorf(courses.ENOTFOUND, "no association %q", slug)
	}
	as, err := a.users.AssociationBySlug(ctx, strings.Clone(slug))
	if err != nil {
		return nil, err
	}
	u, err := a.users.UserByID(ctx, userFrom(c).ID)
	if err != nil {
		return nil, err
	}
	if u.Role == courses.RoleAdmin {
		return as, nil
	}
	for _, m := range u.Memberships {
		if m.Association.ID == as.ID && m.Admin && u.Role == courses.RoleAssociationAdmin {
			return as, nil
		}
	}
	return nil, courses.Errorf(courses.ENOTFOUND, "user %d does not administer %s", u.ID, as.Slug)
}

// handleMembers lists an association's members, with the forms to invite
// one member or a whole list.
func (a *application) handleMembers(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	v := membersView{Association: as}
	if n := c.QueryInt("uitgenodigd", 0); n > 0 {
		v.Invited = n
	}
	return a.renderMembers(c, fiber.StatusOK, v)
}

func (a *application) renderMembers(c *fiber.Ctx, status int, v membersView) error {
	members, err := a.users.AssociationMembers(c.UserContext(), v.Association.ID)
	if err != nil {
		return err
	}
	v.Members = members
	return a.renderForm(c, status, "members", v.Association.Name, "members", "/vereniging/"+v.Association.Slug+"/leden", v)
}

// invitation builds the account, link and mail for one person.
func (a *application) invitation(l *Locale, inviter string, nu courses.NewUser, line int, file string) (courses.Invitation, error) {
	token := randomToken()
	expires := a.auth.now().Add(invitationTTL)
	m, err := a.mails.render("invitation", strings.ToLower(strings.TrimSpace(nu.Email)), mailData{Locale: l, Name: strings.TrimSpace(nu.Name),
		Link: a.cfg.BaseURL.String() + "/uitnodiging/" + token, Expires: expires, Inviter: inviter})
	return courses.Invitation{User: nu, Token: courses.AccountToken{Hash: tokenHash(token), Purpose: courses.TokenInvitation, ExpiresAt: expires},
		Mail: m, Line: line, File: file}, err
}

// municipalityResolver turns what people type (a CBS code, or a name such
// as "Súdwest-Fryslân" or "Den Haag") into a CBS code.
type municipalityResolver struct {
	codes  map[string]bool
	byName map[string][]string
}

func (a *application) municipalities(ctx context.Context) (*municipalityResolver, error) {
	list, err := a.municipalityList.Municipalities(ctx, false)
	if err != nil {
		return nil, err
	}
	r := &municipalityResolver{codes: map[string]bool{}, byName: map[string][]string{}}
	for _, m := range list {
		r.codes[m.CBSCode] = true
		for _, n := range []string{m.Name, m.CommonName} {
			k := courses.SortKey(n)
			if !slices.Contains(r.byName[k], m.CBSCode) {
				r.byName[k] = append(r.byName[k], m.CBSCode)
			}
		}
	}
	return r, nil
}

// resolve returns the code for input, or the problem with it.
func (r *municipalityResolver) resolve(input string) (string, *courses.Problem) {
	if input == "" {
		return "", nil
	}
	if code := strings.ToUpper(input); r.codes[code] {
		return code, nil
	}
	switch codes := r.byName[courses.SortKey(input)]; len(codes) {
	case 1:
		return codes[0], nil
	case 0:
		return "", &courses.Problem{Field: "gemeente", Key: courses.ProblemUnknownValue, Args: map[string]any{"value": truncateText(input, 40), "allowed": "CBS-code (GM0363) of naam"}}
	default:
		return "", &courses.Problem{Field: "gemeente", Key: courses.ProblemAmbiguous, Args: map[string]any{"value": input, "codes": strings.Join(codes, ", ")}}
	}
}

// handleMemberInvite invites one member.
func (a *application) handleMemberInvite(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	if err := a.countInvitation(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	l := a.localeFrom(c)
	f := inviteForm{Email: c.FormValue("email"), Name: c.FormValue("name"), Office: c.FormValue("office"), Municipality: c.FormValue("municipality")}
	v := membersView{Association: as, Invite: f, Problems: map[string]string{}}
	nu := courses.NewUser{Email: f.Email, Name: f.Name, Role: courses.RoleLearner, Language: l.Lang}
	if f.Office != "" {
		res, err := a.municipalities(ctx)
		if err != nil {
			return err
		}
		code, p := res.resolve(strings.TrimSpace(f.Municipality))
		if p != nil {
			v.Problems["municipality"] = l.TArgs(p.Key, p.Args)
		}
		nu.Offices = []courses.UserOffice{{Office: courses.Office(f.Office), CBSCode: code}}
	}
	if err := nu.Validate(); err != nil {
		for k, msg := range problemsByField(l, err) {
			v.Problems[k] = msg
		}
	}
	if len(v.Problems) > 0 {
		return a.renderMembers(c, fiber.StatusBadRequest, v)
	}
	inv, err := a.invitation(l, userFrom(c).Name, nu, 0, "")
	if err != nil {
		return err
	}
	if err := a.users.InviteMembers(ctx, as.Slug, []courses.Invitation{inv}); err != nil {
		if courses.ErrorCode(err) == courses.EINVALID {
			v.Problems = problemsByField(l, err)
			return a.renderMembers(c, fiber.StatusBadRequest, v)
		}
		return err
	}
	a.mailer.notify()
	a.auth.record(ctx, courses.AuditEvent{ActorID: userFrom(c).ID, Action: "member.invited", Subject: "association:" + as.Slug, RequestID: requestIDFrom(c)})
	return c.Redirect("/vereniging/"+as.Slug+"/leden?uitgenodigd=1", fiber.StatusSeeOther)
}

// handleMemberUpload invites every member of an uploaded list, or nobody:
// each bad line is named with its field.
func (a *application) handleMemberUpload(c *fiber.Ctx) error {
	as, err := a.associationForAdmin(c)
	if err != nil {
		return err
	}
	if err := a.countInvitation(c); err != nil {
		return err
	}
	ctx := c.UserContext()
	l := a.localeFrom(c)
	v := membersView{Association: as}
	fh, err := c.FormFile("bestand")
	if err != nil {
		v.Upload = []string{l.T("field.bestand") + ": " + l.T(courses.ProblemRequired)}
		return a.renderMembers(c, fiber.StatusBadRequest, v)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	file := strings.Clone(fh.Filename)
	rows, err := courses.ParseMemberCSV(f, file)
	var problems []courses.Problem
	if err != nil {
		if courses.ErrorCode(err) != courses.EINVALID {
			return err
		}
		problems = courses.ErrorProblems(err)
	}
	res, err := a.municipalities(ctx)
	if err != nil {
		return err
	}
	var list []courses.Invitation
	for _, row := range rows {
		nu := courses.NewUser{Email: row.Email, Name: row.Name, Role: courses.RoleLearner, Language: l.Lang}
		if row.Office != "" {
			code, p := res.resolve(row.Municipality)
			if p != nil {
				p.File, p.Line = file, row.Line
				problems = append(problems, *p)
			}
			nu.Offices = []courses.UserOffice{{Office: row.Office, CBSCode: code}}
		}
		inv, err := a.invitation(l, userFrom(c).Name, nu, row.Line, file)
		if err != nil {
			return err
		}
		list = append(list, inv)
	}
	if len(problems) == 0 {
		err = a.users.InviteMembers(ctx, as.Slug, list)
		if courses.ErrorCode(err) == courses.EINVALID {
			problems = courses.ErrorProblems(err)
		} else if err != nil {
			return err
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			v.Upload = append(v.Upload, l.Problem(p))
		}
		return a.renderMembers(c, fiber.StatusBadRequest, v)
	}
	a.mailer.notify()
	a.auth.record(ctx, courses.AuditEvent{ActorID: userFrom(c).ID, Action: "member.invited", Subject: "association:" + as.Slug,
		Detail: "upload rows=" + itoa(len(list)), RequestID: requestIDFrom(c)})
	return c.Redirect("/vereniging/"+as.Slug+"/leden?uitgenodigd="+itoa(len(list)), fiber.StatusSeeOther)
}
