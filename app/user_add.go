package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/raadzaam/raadzaam/db"
)

// userAdd creates an account from the command line (CONTRACT.md):
// user add --email E --name N --role R [--office O] [--municipality GMxxxx]
// [--association SLUG] [--password-stdin]. Without --password-stdin a
// password is generated and printed once. For an association-admin the
// association is the one they administer.
func userAdd(ctx context.Context, d *db.DB, args []string, stdin io.Reader, stdout io.Writer, l *Locale) error {
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	email := fs.String("email", "", "")
	name := fs.String("name", "", "")
	role := fs.String("role", "", "")
	office := fs.String("office", "", "")
	municipality := fs.String("municipality", "", "")
	association := fs.String("association", "", "")
	fromStdin := fs.Bool("password-stdin", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError{args: append([]string{"user", "add"}, args...)}
	}
	nu := courses.NewUser{Email: *email, Name: *name, Role: courses.Role(*role)}
	var problems []courses.Problem
	switch {
	case *office != "":
		nu.Offices = []courses.UserOffice{{Office: courses.Office(*office), CBSCode: strings.ToUpper(*municipality)}}
	case *municipality != "":
		problems = append(problems, courses.Problem{Field: "office", Key: courses.ProblemRequired})
	}
	if *association != "" {
		if nu.Role == courses.RoleAssociationAdmin {
			nu.AdminOf = []string{*association}
		} else {
			nu.Associations = []string{*association}
		}
	}
	if err := nu.Validate(); err != nil {
		problems = append(problems, courses.ErrorProblems(err)...)
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(io.LimitReader(stdin, 4096)).ReadString('\n')
		if err != nil && err != io.EOF {
			return err
		}
		password = strings.TrimRight(line, "\r\n")
		problems = append(problems, courses.CheckPassword(password, nu.Email, nu.Name)...)
	} else {
		password = newPassword()
	}
	if len(problems) > 0 {
		return courses.Invalid("user add", problems...)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	nu.PasswordHash = hash
	u, err := db.NewUserService(d).CreateUser(ctx, &nu)
	if err != nil {
		return err
	}
	_ = db.NewAuditLog(d).Record(ctx, courses.AuditEvent{Action: "user.created", Subject: subjectOf(u.ID), Detail: "cli role=" + string(u.Role)})
	fmt.Fprintln(stdout, u.ID)
	fmt.Fprintln(stdout, l.T("cli.user_added", "id", u.ID, "email", u.Email))
	if !*fromStdin {
		fmt.Fprintln(stdout, l.T("cli.user_password", "password", password))
	}
	return nil
}
