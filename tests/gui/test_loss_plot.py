from pixelrnn_gui.loss_plot import LossPlot


def test_the_legend_is_drawn_beside_the_curves_not_over_them(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(300, 164)
    for step in range(0, 100, 10):
        plot.add_train(step, 3.0 - step / 100)
        plot.add_validation(step, 3.5)  # validation above training ends along the top right, under the old legend
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.plot_area().height() >= 100
    assert not plot.legend_box().intersects(plot.plot_area())
