package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/sagitta-dev/sagitta/internal/campaign"
)

// printHoldout shows the holdout a launch would draw, per stratum.
func printHoldout(w io.Writer, h *campaign.HoldoutPreview) {
	if h == nil {
		return
	}
	fmt.Fprintf(w, "holdout: %s customers (%g%% per campaign", thousands(h.Size), h.Percent)
	if h.GlobalPercent > 0 {
		fmt.Fprintf(w, ", %g%% global", h.GlobalPercent)
	}
	fmt.Fprintf(w, "), stratified by %s\n", h.Stratified)
	for _, k := range slices.Sorted(maps.Keys(h.Strata)) {
		c := h.Strata[k]
		name := k
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(w, "  %-8s %s of %s\n", name, thousands(int64(c.Holdout)), thousands(int64(c.Audience)))
	}
}
