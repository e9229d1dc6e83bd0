package web

import "github.com/gin-gonic/gin"

func (w *Web) mountCampaigns(g *gin.RouterGroup) {}
func (w *Web) mountDocuments(g *gin.RouterGroup) {}
func (w *Web) mountAdmin(g *gin.RouterGroup)     {}
