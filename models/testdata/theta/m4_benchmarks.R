# The official M4 benchmarks ("Benchmarks and Evaluation.R",
# Mcompetitions/M4-methods): seasonality test, multiplicative
# decomposition, Naive2, SES and Theta (Theta.classic), copied unchanged
# except for layout, and Theta.classic also returning its SES model.
# Sourced by make_golden.R (the goldens of models/theta_test.go) and by
# bench/models_baselines/peer.R (the timings), so both run the same code.
# ---- official M4 code (Benchmarks and Evaluation.R) ----
SeasonalityTest <- function(input, ppy){
  tcrit <- 1.645
  if (length(input)<3*ppy){
    test_seasonal <- FALSE
  }else{
    xacf <- acf(input, plot = FALSE)$acf[-1, 1, 1]
    clim <- tcrit/sqrt(length(input)) * sqrt(cumsum(c(1, 2 * xacf^2)))
    test_seasonal <- ( abs(xacf[ppy]) > clim[ppy] )
    if (is.na(test_seasonal)==TRUE){ test_seasonal <- FALSE }
  }
  return(test_seasonal)
}
Theta.classic <- function(input, fh){
  wses <- wlrl<-0.5 ; theta <- 2
  observations <- length(input)
  xt <- c(1:observations)
  xf <- c((observations+1):(observations+fh))
  train <- data.frame(input=input, xt=xt)
  test <- data.frame(xt = xf)
  estimate <- lm(input ~ poly(xt, 1, raw=TRUE))
  thetaline0In <- as.numeric(predict(estimate))
  thetaline0Out <- as.numeric(predict(estimate,test))
  thetalineT <- theta*input+(1-theta)*thetaline0In
  sesmodel <- ses(thetalineT, h=fh)
  thetaline2In <- sesmodel$fitted
  thetaline2Out <- sesmodel$mean
  forecastsIn <- (thetaline2In*wses)+(thetaline0In*wlrl)
  forecastsOut <- (thetaline2Out*wses)+(thetaline0Out*wlrl)
  for (i in 1:length(forecastsOut)){
    if (forecastsOut[i]<0){ forecastsOut[i]<-0 }
  }
  list(fitted = forecastsIn, mean = forecastsOut, sesmodel = sesmodel)
}
M4Benchmarks <- function(input, fh){
  ppy <- frequency(input) ; ST <- F
  if (ppy>1){ ST <- SeasonalityTest(input,ppy) }
  if (ST==T){
    Dec <- decompose(input,type="multiplicative")
    des_input <- input/Dec$seasonal
    SIout <- head(rep(Dec$seasonal[(length(Dec$seasonal)-ppy+1):length(Dec$seasonal)], fh), fh)
    figure <- as.numeric(Dec$figure)
  }else{
    des_input <- input ; SIout <- rep(1, fh) ; figure <- NULL
  }
  sesm <- ses(des_input, h=fh)
  th <- Theta.classic(input=des_input, fh=fh)
  list(seasonal = ST, figure = figure,
       naive2 = as.numeric(naive(des_input, h=fh)$mean*SIout),
       ses = as.numeric(sesm$mean*SIout), ses_mse = sesm$model$mse,
       theta = as.numeric(th$mean*SIout), theta_ses_mse = th$sesmodel$model$mse)
}
# ---- end of official code ----
