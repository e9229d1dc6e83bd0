package web

import "github.com/gin-gonic/gin"

func (w *Web) mountAdmin(g *gin.RouterGroup)     {}
