package activities

import (
	"context"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"go.temporal.io/sdk/temporal"

	"github.com/zeren-county/zeren/contract"
	"github.com/zeren-county/zeren/internal/store"
)

// inTx runs fn in one transaction; data the database can never write fails
// the activity without a retry.
func (a *Activities) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	return permanent(a.Store.InTx(ctx, fn))
}

// permanent turns an error on data the database refuses into a non-retryable
// application error; any other error is returned as it is (retried).
func permanent(err error) error {
	if err == nil || !store.Rejected(err) {
		return err
	}
	msg := "数据无法保存"
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		msg += "：" + pqErr.Message + "（" + string(pqErr.Code) + "）"
	}
	return temporal.NewNonRetryableApplicationError(msg, contract.ErrDataRejected, err)
}
