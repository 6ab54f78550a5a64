package db

import (
	"context"
	"time"

	"github.com/raadzaam/raadzaam/courses"
	"github.com/uptrace/bun"
)

type municipalityRow struct {
	bun.BaseModel `bun:"table:municipalities"`

	CBSCode    string    `bun:"cbs_code,pk"`
	Name       string    `bun:"name"`
	CommonName string    `bun:"common_name"`
	Province   string    `bun:"province"`
	Active     bool      `bun:"active"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

// MunicipalityService implements courses.MunicipalityService.
type MunicipalityService struct{ db *DB }

var _ courses.MunicipalityService = (*MunicipalityService)(nil)

// NewMunicipalityService returns the municipality list stored in db.
func NewMunicipalityService(db *DB) *MunicipalityService { return &MunicipalityService{db: db} }

// ReplaceMunicipalities upserts list in one statement and marks every other
// municipality inactive, in one transaction.
func (s *MunicipalityService) ReplaceMunicipalities(ctx context.Context, list []courses.Municipality) error {
	if len(list) == 0 {
		return courses.Errorf(courses.EINVALID, "empty municipality list")
	}
	now := s.db.Now().UTC()
	rows := make([]municipalityRow, len(list))
	codes := make([]string, len(list))
	for i, m := range list {
		rows[i] = municipalityRow{CBSCode: m.CBSCode, Name: m.Name, CommonName: m.CommonName, Province: m.Province, Active: true, UpdatedAt: now}
		codes[i] = m.CBSCode
	}
	return s.db.inTx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&rows).
			On("CONFLICT (cbs_code) DO UPDATE").
			Set("name = EXCLUDED.name, common_name = EXCLUDED.common_name, province = EXCLUDED.province").
			Set("active = EXCLUDED.active, updated_at = EXCLUDED.updated_at").
			Exec(ctx); err != nil {
			return wrap(err, "save municipalities")
		}
		_, err := tx.NewUpdate().Model((*municipalityRow)(nil)).
			Set("active = ?", false).Set("updated_at = ?", now).
			Where("cbs_code NOT IN (?)", bun.List(codes)).Where("active").
			Exec(ctx)
		return wrap(err, "retire municipalities")
	})
}

// Municipalities returns municipalities ordered by CBS code.
func (s *MunicipalityService) Municipalities(ctx context.Context, all bool) ([]courses.Municipality, error) {
	var rows []municipalityRow
	q := s.db.NewSelect().Model(&rows).Order("cbs_code")
	if !all {
		q = q.Where("active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err, "list municipalities")
	}
	list := make([]courses.Municipality, len(rows))
	for i, r := range rows {
		list[i] = courses.Municipality{CBSCode: r.CBSCode, Name: r.Name, CommonName: r.CommonName, Province: r.Province, Active: r.Active}
	}
	return list, nil
}
